"""``model.export(path, format="onnx")`` from a model trained on any framework.

A unikeras model runs on TensorFlow and on torch whatever it trained on, so ONNX has two
routes, chosen by ``exporter=`` (docs/serving.md says why):

* ``"tf2onnx"`` (the default when TensorFlow is installed): the same ``tf.function``
  trace as the SavedModel export, converted by tf2onnx. Fast (about 2 s after the trace
  for a small LSTM here) and the None dimensions of the signature stay symbolic.
* ``"torch"``: the ``torch.export`` program of ``format="torch"``, converted by
  ``torch.onnx.export(..., dynamo=True)`` (onnxscript). Used when TensorFlow is absent.

Inputs are named after the signature's specs (a Functional model's Input names), one
ONNX input per tensor, batch dimensions dynamic.
"""

from __future__ import annotations

import os

from ..xp import is_installed
from ._common import atomic_path, get_input_signature, input_names

EXPORTERS = ("tf2onnx", "torch")


def _default_exporter():
    if is_installed("tensorflow"):
        return "tf2onnx"
    if is_installed("torch"):
        return "torch"
    raise ImportError("ONNX export needs TensorFlow (tf2onnx) or PyTorch (torch.onnx): "
                      "pip install 'unikeras[export]'")


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None,
                exporter=None, **kwargs):
    """Write ``model``'s inference forward pass to the ONNX file ``filepath``."""
    if kwargs:
        raise ValueError(f"Unsupported arguments for format='onnx': {sorted(kwargs)}. "
                         "Supported: opset_version, exporter.")
    exporter = exporter or _default_exporter()
    if exporter not in EXPORTERS:
        raise ValueError(f"Unknown ONNX exporter={exporter!r}; expected one of {list(EXPORTERS)}")
    filepath = os.fspath(filepath)
    if input_signature is None:
        input_signature = get_input_signature(model)
    if not isinstance(input_signature, (list, tuple)):
        input_signature = [input_signature]
    if exporter == "tf2onnx":
        from ._common import InputSpec, flatten_specs, make_input_spec, map_specs
        from .archive import ExportArchive

        signature = map_specs(make_input_spec, list(input_signature))
        flat, treespec = flatten_specs(signature)
        flat = [InputSpec(shape=s.shape, dtype=s.dtype, name=n)
                for s, n in zip(flat, input_names(signature))]

        def flat_call(*tensors):  # one ONNX input per tensor
            return model(*treespec.unflatten(list(tensors)), training=False)

        archive = ExportArchive()
        archive.track(model)
        fn = archive.add_endpoint("serve", flat_call, flat)
        with atomic_path(filepath) as tmp, archive._serving():
            archive._tfm.to_onnx(fn, archive._endpoint_signatures["serve"], tmp,
                                 opset=opset_version)
    else:
        from .programs import _shim, torch_program

        program, names = torch_program(model, input_signature)
        with atomic_path(filepath) as tmp:
            _shim("torch").to_onnx(program, tmp, names, opset=opset_version,
                                   verbose=bool(verbose))
    if verbose is None or verbose:
        print(f"Saved ONNX model at '{filepath}' (exporter: {exporter}).")
    return filepath
