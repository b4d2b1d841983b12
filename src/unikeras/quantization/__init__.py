"""The calibrated quantization modes of ``model.quantize``: GPTQ (``gptq.py``) and AWQ
(``awq.py``), their shared zero-point math, calibration data and block-by-block driver
(``common.py``). Public names live in ``unikeras.quantizers`` (``GPTQConfig``,
``AWQConfig``) and ``unikeras.dtype_policies``; the layer side is
``layers/quantize_gptq.py``."""

from ..quantizers import AWQConfig, GPTQConfig
from .awq import AWQ
from .gptq import GPTQ


def quantize_model(model, mode, config, filters=None):
    """The calibration step of ``model.quantize("gptq" | "awq", config=...)`` (after
    every leaf layer's ``quantize``): Keras' ``gptq_quantize`` / ``awq_quantize``."""
    from .common import apply_layerwise, get_dataloader

    structure = config.quantization_layer_structure
    if structure is None:
        structure = model.get_quantization_layer_structure(mode)
    if structure is None:
        raise ValueError(f"For mode='{mode}', a valid quantization structure must be "
                         "provided either via `config.quantization_layer_structure` or by "
                         "overriding `model.get_quantization_layer_structure(mode)`. The "
                         "structure should be a dictionary with keys 'pre_block_layers' and "
                         "'sequential_blocks'.")
    if config.dataset is None or config.tokenizer is None:
        if mode == "gptq":
            raise ValueError("GPTQ quantization requires a dataset and a tokenizer. Please "
                             "provide them in the `GPTQConfig`.")
        raise ValueError("AWQ quantization requires a dataset and tokenizer. Please provide "
                         "them in the AWQConfig.")
    data = get_dataloader(config.tokenizer, config.sequence_length, config.dataset,
                          num_samples=config.num_samples)[:config.num_samples]
    if mode == "gptq":
        apply_layerwise(data, config, structure, filters,
                        lambda layer: GPTQ(layer, config),
                        lambda obj: obj.quantize_and_correct_layer())
    else:
        apply_layerwise(data, config, structure, filters,
                        lambda layer: AWQ(layer, config), lambda obj: obj.quantize_layer())


__all__ = ["AWQ", "AWQConfig", "GPTQ", "GPTQConfig", "quantize_model"]
