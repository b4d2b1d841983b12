"""``model.export(path, format="litert")``: a LiteRT (TFLite) flatbuffer from a model
trained on any framework, converted by TensorFlow's own ``tf.lite.TFLiteConverter`` from
the SavedModel this package writes (Keras 3.15's TensorFlow-backend route). Runs with
``tf.lite.Interpreter`` (or ai-edge-litert's, which is not a unikeras dependency)."""

from __future__ import annotations

import os
import tempfile

from ._common import atomic_path, get_input_signature


def export_litert(model, filepath, verbose=None, input_signature=None, **kwargs):
    """``kwargs`` set ``TFLiteConverter`` attributes (``optimizations``,
    ``representative_dataset``, ``target_spec={...}``, ...), as in Keras."""
    from .archive import DEFAULT_ENDPOINT_NAME, ExportArchive

    filepath = os.fspath(filepath)
    if not filepath.endswith(".tflite"):
        raise ValueError("The LiteRT export requires the filepath to end with '.tflite'. "
                         f"Got: {filepath}")
    if input_signature is None:
        input_signature = get_input_signature(model)
    if not isinstance(input_signature, (list, tuple)):
        input_signature = [input_signature]
    archive = ExportArchive()
    archive.track(model)
    archive.add_endpoint(DEFAULT_ENDPOINT_NAME, lambda *a: model(*a, training=False),
                         list(input_signature))
    with tempfile.TemporaryDirectory() as tmpdir:
        saved = os.path.join(tmpdir, "saved_model")
        archive.write_out(saved, verbose=False)
        flatbuffer = archive._tfm.to_tflite(saved, kwargs)
    with atomic_path(filepath) as tmp:
        with open(tmp, "wb") as f:
            f.write(flatbuffer)
    if verbose is None or verbose:
        print(f"Saved LiteRT model at '{filepath}'.")
    return filepath
