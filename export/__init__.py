"""Keras generator -> ONNX for the app: ``python -m export`` (see export/__main__.py).

convert (tf2onnx) -> parity (Keras vs onnxruntime on real sketches) -> variants (fp16, int8) ->
manifest_entry / generator_export (all-or-nothing install + manifest); fast_nst adds the Magenta
style pair; check re-verifies a manifest. TensorFlow is imported only where a Keras model is
touched, so ``--help`` and ``--check`` of ONNX-only manifests start fast.
"""
