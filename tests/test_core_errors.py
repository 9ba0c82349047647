"""One error base class for everything a user can fix: the command-line tools catch it and print
one line (their tests check the line); here, that every such error derives from it."""

from __future__ import annotations

import pytest

from export.convert import ConversionError
from export.errors import USER_ERRORS
from export.fast_nst import StylePairError
from export.generator_export import ExportError
from export.manifest_entry import EntryError
from export.run_source import SourceError
from export.sketches import SketchSourceError
from ganime_desktop.core.batch import BatchUsageError
from ganime_desktop.core.errors import GanimeError
from ganime_desktop.core.folder_lock import FolderInUseError
from ganime_desktop.core.hints import HintFileError
from ganime_desktop.core.imageio import ImageReadError, ImageWriteError
from ganime_desktop.core.manifest import ManifestError
from ganime_desktop.core.sessions import ModelLoadError
from training.data import DataError
from training.errors import TrainingError


@pytest.mark.parametrize("error", [ManifestError, ImageReadError, ImageWriteError, HintFileError, BatchUsageError,
                                   ModelLoadError, TrainingError, DataError, ExportError, StylePairError, EntryError,
                                   SourceError, ConversionError, SketchSourceError, FolderInUseError])
def test_user_errors_share_the_base_class_and_keep_their_old_kinds(error):
    assert issubclass(error, GanimeError)
    assert issubclass(error, USER_ERRORS)  # python -m export prints them as one line


def test_existing_handlers_still_catch_them_as_before():
    assert issubclass(ManifestError, ValueError) and issubclass(ModelLoadError, RuntimeError)
    assert issubclass(SourceError, ValueError) and issubclass(ConversionError, RuntimeError)
