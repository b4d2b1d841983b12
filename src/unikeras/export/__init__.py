"""Serving: ``model.export(filepath, format=...)`` and ``keras.export.ExportArchive``.

Written once; the framework that does the exporting is called through
``export/<framework>.py``. A unikeras model is one object on every framework, so a model
trained with any of them exports to every format: the exporter runs the model on its own
framework's copies of the weights (``_common.ServingState``) without moving the model.
See docs/serving.md.
"""

from __future__ import annotations

import os

from .archive import DEFAULT_ENDPOINT_NAME, ExportArchive, export_saved_model

__all__ = ["ExportArchive", "export_model", "FORMATS"]

FORMATS = ("tf_saved_model", "onnx", "torch", "jax", "openvino", "litert")


def export_model(model, filepath, format="tf_saved_model", verbose=None,
                 input_signature=None, **kwargs):
    """The body of ``Model.export`` (Keras 3.15's signature)."""
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format}. Supported formats are: "
                         f"{list(FORMATS)}.")
    if format == "tf_saved_model":
        return export_saved_model(model, filepath, verbose, input_signature=input_signature,
                                  **kwargs)
    if format == "onnx":
        from .onnx import export_onnx

        return export_onnx(model, filepath, verbose, input_signature=input_signature, **kwargs)
    if format == "torch":
        from .programs import export_torch

        return export_torch(model, filepath, verbose, input_signature=input_signature, **kwargs)
    if format == "jax":
        from .programs import export_jax

        return export_jax(model, filepath, verbose, input_signature=input_signature, **kwargs)
    if format == "litert":
        from .litert import export_litert

        return export_litert(model, filepath, verbose, input_signature=input_signature,
                             **kwargs)
    raise NotImplementedError(
        f"format={format!r} is not available in unikeras yet: it needs "
        "the openvino package, which is not part of unikeras' extras. Export to 'onnx' or "
        "'tf_saved_model' and convert with openvino.convert_model (see docs/serving.md).")
