"""The errors that mean "the user gave something unusable": reported as one line, no traceback."""

from export.convert import ConversionError
from export.fast_nst import StylePairError
from export.generator_export import ExportError
from export.manifest_entry import EntryError
from export.run_source import SourceError
from export.sketches import SketchSourceError
from ganime_desktop.core.manifest import ManifestError
from training.data import DataError

# OSError: an unwritable output folder, a full disk; its message names the path.
USER_ERRORS = (ConversionError, StylePairError, ExportError, EntryError, SourceError, SketchSourceError,
               ManifestError, DataError, OSError)
