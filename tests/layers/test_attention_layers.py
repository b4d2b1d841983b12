"""Attention layers vs Keras 3 with copied weights (masks, causal masks, attention axes,
output_shape, scores), dropout, configs, errors and array_api_strict."""

from __future__ import annotations

import numpy as np
import pytest

from unikeras.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from unikeras.xp import framework_of, set_default_framework, to_numpy

RNG = np.random.default_rng(7)
Q = RNG.standard_normal((2, 4, 6)).astype("float32")
V = RNG.standard_normal((2, 5, 3)).astype("float32")
K = RNG.standard_normal((2, 5, 2)).astype("float32")
Q_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)
V_MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
ATT_MASK = RNG.random((2, 4, 5)) > 0.4
ATT_MASK[..., 0] = True  # no fully masked row


def _close(got, want, tol=1e-5):
    if not isinstance(want, list):
        got, want = [got], [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


# --------------------------------------------------------------------------- MHA
_MHA_CASES = {
    "self_default": (dict(num_heads=2, key_dim=3), (Q, Q), {}),
    "cross_key_value_dim_output_shape_mask": (
        dict(num_heads=3, key_dim=2, value_dim=4, output_shape=(2, 3)), (Q, V, K),
        dict(attention_mask=ATT_MASK)),
    "causal_scores": (dict(num_heads=2, key_dim=3), (Q, V),
                      dict(use_causal_mask=True, return_attention_scores=True)),
    "no_bias_scores_mask": (dict(num_heads=1, key_dim=4, use_bias=False), (Q, V),
                            dict(attention_mask=ATT_MASK, return_attention_scores=True)),
}


@pytest.mark.parametrize("case", sorted(_MHA_CASES))
def test_mha_matches_keras(keras, any_framework, case, keras_np, fw_arr, np_out):
    kw, args, call_kw = _MHA_CASES[case]
    kl = keras.layers.MultiHeadAttention(**kw)
    ul = MultiHeadAttention(**kw)
    kl(*args, **call_kw)
    uargs = [fw_arr(a, any_framework) for a in args]
    ucall = {k: fw_arr(v, any_framework) for k, v in call_kw.items()}
    out = ul(*uargs, **ucall)
    first = out[0] if isinstance(out, tuple) else out
    assert framework_of(first) == any_framework
    kw_shapes = [w.shape for w in kl.get_weights()]
    assert [w.shape for w in ul.get_weights()] == kw_shapes
    ws = [RNG.uniform(-0.5, 0.5, s).astype("float32") for s in kw_shapes]
    kl.set_weights(ws)
    ul.set_weights(ws)
    _close(np_out(ul(*uargs, **ucall)), keras_np(kl(*args, **call_kw)))


def test_mha_attention_axes_matches_keras(keras, framework, keras_np, fw_arr, np_out):
    x = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
    mask = RNG.random((2, 3, 4, 3, 4)) > 0.3
    mask[..., 0, 0] = True
    for axes, call_kw in (((1, 2), dict(attention_mask=mask)), ((2,), {})):
        kl = keras.layers.MultiHeadAttention(2, 3, attention_axes=axes)
        ul = MultiHeadAttention(2, 3, attention_axes=axes)
        kl(x, x, **call_kw)
        ux = fw_arr(x, framework)
        ucall = {k: fw_arr(v, framework) for k, v in call_kw.items()}
        ul(ux, ux, **ucall)
        ul.set_weights(kl.get_weights())
        want = keras_np(kl(x, x, return_attention_scores=True, **call_kw))
        _close(np_out(ul(ux, ux, return_attention_scores=True, **ucall)), want)


def test_mha_masks_from_embedding(framework, fw_arr, np_out):
    """Query/value masks from Embedding(mask_zero=True) reach MHA in a Functional model,
    as attention_mask = query_mask[:, :, None] & value_mask[:, None, :]."""
    from unikeras.layers import Embedding, Input
    from unikeras.models import Model

    tokens = np.array([[3, 5, 2, 0], [1, 4, 0, 0]], dtype="int32")
    inp = Input((4,), dtype="int32")
    emb = Embedding(8, 6, mask_zero=True)
    mha = MultiHeadAttention(2, 3)
    model = Model(inp, mha(emb(inp), emb(inp)))
    out = np_out(model(fw_arr(tokens, framework)))
    e = emb(fw_arr(tokens, framework))
    m = tokens != 0
    direct = np_out(mha(e, e, attention_mask=fw_arr(m[:, :, None] & m[:, None, :], framework)))
    np.testing.assert_allclose(out, direct, rtol=1e-5, atol=1e-6)


def test_mha_dropout_and_grad(framework, fw_arr, np_out):
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=3)
    q = fw_arr(Q, framework)
    a = np_out(layer(q, q))
    np.testing.assert_allclose(np_out(layer(q, q, training=False)), a, rtol=1e-6)
    b = np_out(layer(q, q, training=True))
    assert np.all(np.isfinite(b)) and not np.allclose(a, b)


def test_mha_symbolic_and_config(np_out):
    from unikeras.layers import Input
    from unikeras.models import Model

    q, v = Input((4, 6)), Input((5, 3))
    layer = MultiHeadAttention(2, 3, value_dim=2, output_shape=7,
                               kernel_initializer="he_normal", kernel_regularizer="l2")
    out, scores = layer(q, v, return_attention_scores=True)
    assert out.shape == (None, 4, 7) and scores.shape == (None, 2, 4, 5)
    assert [w.shape for w in layer.weights] == [(6, 2, 3), (2, 3), (3, 2, 3), (2, 3),
                                                (3, 2, 2), (2, 2), (2, 2, 7), (7,)]
    assert len(layer.losses) == 4
    model = Model([q, v], out)
    set_default_framework("numpy")
    y = np_out(model([Q, V]))
    assert y.shape == (2, 4, 7)
    clone = MultiHeadAttention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(Q, V)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(np_out(clone(Q, V)), np_out(layer(Q, V)), rtol=1e-6)


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(0, 2)
    with pytest.raises(ValueError, match="key_dim"):
        MultiHeadAttention(2, -1)
    set_default_framework("numpy")
    layer = MultiHeadAttention(2, 3, name="mha_x")
    with pytest.raises(ValueError, match=r"value.*key.*must be equal"):
        layer(Q, V, np.zeros((2, 6, 2), "float32"))
    layer = MultiHeadAttention(2, 3, name="mha_y")
    with pytest.raises(ValueError, match=r"mha_y.*rank >= 3.*\(4, 6\)"):
        layer(Q[0], Q[0])


# --------------------------------------------------------------------------- Attention
@pytest.mark.parametrize("kw", [{}, {"use_scale": True}, {"score_mode": "concat"},
                                {"score_mode": "concat", "use_scale": True}],
                         ids=["dot", "dot_scale", "concat", "concat_scale"])
def test_attention_matches_keras(keras, any_framework, kw, keras_np, fw_arr, np_out):
    q = RNG.standard_normal((2, 4, 3)).astype("float32")
    kl, ul = keras.layers.Attention(**kw), Attention(**kw)
    kl([q, V])
    ul(fw_arr([q, V], any_framework))
    ws = [np.asarray(RNG.uniform(0.5, 1.5), "float32").reshape(()) for _ in kl.get_weights()]
    kl.set_weights(ws)
    ul.set_weights(ws)
    for call_kw in (dict(mask=[Q_MASK, V_MASK], return_attention_scores=True),
                    dict(use_causal_mask=True, return_attention_scores=True),
                    dict(mask=[None, V_MASK])):
        ucall = {k: fw_arr(v, any_framework) for k, v in call_kw.items()}
        want = keras_np(kl([q, V, V * 0.5], **call_kw))
        got = np_out(ul(fw_arr([q, V, V * 0.5], any_framework), **ucall))
        _close(got, want)


def test_additive_attention_matches_keras(keras, framework, keras_np, fw_arr, np_out):
    q = RNG.standard_normal((2, 4, 3)).astype("float32")
    kl, ul = keras.layers.AdditiveAttention(), AdditiveAttention()
    kl([q, V])
    ul(fw_arr([q, V], framework))
    ul.set_weights(kl.get_weights())
    want = keras_np(kl([q, V], mask=[Q_MASK, V_MASK], return_attention_scores=True))
    got = np_out(ul(fw_arr([q, V], framework), mask=fw_arr([Q_MASK, V_MASK], framework),
                    return_attention_scores=True))
    _close(got, want)


def test_attention_config_errors_and_dropout(np_out):
    set_default_framework("numpy")
    layer = Attention(use_scale=True, score_mode="concat", dropout=0.3, seed=1)
    clone = Attention.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="additive")
    with pytest.raises(ValueError, match="list of inputs"):
        Attention()(Q)
    q = Q[..., :3]
    a = np_out(layer([q, V]))
    b = np_out(layer([q, V], training=True))
    assert not np.allclose(a, b)


def test_array_api_strict(np_out):
    import array_api_strict as xps

    set_default_framework("numpy")
    mha = MultiHeadAttention(2, 3, attention_axes=None)
    ref = np_out(mha(Q, V, attention_mask=ATT_MASK, return_attention_scores=True))
    got = mha(xps.asarray(Q), xps.asarray(V), attention_mask=xps.asarray(ATT_MASK),
              return_attention_scores=True)
    assert type(got[0]).__module__.startswith("array_api_strict")
    for g, r in zip(got, ref):
        np.testing.assert_allclose(np.asarray(g._array), r, rtol=1e-5, atol=1e-6)
    att = Attention(use_scale=True)
    q = Q[..., :3]
    ref = np_out(att([q, V], mask=[Q_MASK, V_MASK], use_causal_mask=True))
    got = att([xps.asarray(q), xps.asarray(V)], mask=[xps.asarray(Q_MASK),
                                                       xps.asarray(V_MASK)],
              use_causal_mask=True)
    np.testing.assert_allclose(np.asarray(got._array), ref, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------- fused attention path
class _GenericMHA(MultiHeadAttention):
    """Overrides _compute_attention (as a user may): always the explicit-softmax path."""

    def _compute_attention(self, *args, **kwargs):
        return super()._compute_attention(*args, **kwargs)


_ROW_MASKED = ATT_MASK.copy()
_ROW_MASKED[0, 3] = False  # query 3 of sample 0 attends to nothing

_FUSED_CASES = {
    "plain": dict(),
    "causal_only": dict(use_causal_mask=True),
    "causal_and_mask": dict(use_causal_mask=True, attention_mask=ATT_MASK),
    "value_mask": dict(value_mask=V_MASK),
    "fully_masked_row": dict(attention_mask=_ROW_MASKED),
}


@pytest.mark.parametrize("case", sorted(_FUSED_CASES))
def test_mha_fused_path_matches_generic_and_keras(keras, any_framework, case, keras_np, fw_arr,
                                                  np_out, monkeypatch):
    from unikeras import nn_ops
    from unikeras.layers import attention as attention_mod

    call_kw = _FUSED_CASES[case]
    kl = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    ul, gl = MultiHeadAttention(num_heads=2, key_dim=3), _GenericMHA(num_heads=2, key_dim=3)
    kl(Q, V, **call_kw)
    uq, uv = fw_arr(Q, any_framework), fw_arr(V, any_framework)
    ucall = {k: fw_arr(v, any_framework) for k, v in call_kw.items()}
    ul(uq, uv, **ucall)
    gl(uq, uv, **ucall)
    ws = [RNG.uniform(-0.5, 0.5, w.shape).astype("float32") for w in kl.get_weights()]
    for layer in (kl, ul, gl):
        layer.set_weights(ws)
    calls = []
    real = nn_ops.dot_product_attention

    def spy(*a, **kw):
        calls.append(kw)
        return real(*a, **kw)

    monkeypatch.setattr(attention_mod.nn_ops, "dot_product_attention", spy)
    fused = np_out(ul(uq, uv, **ucall))
    assert len(calls) == 1 and calls[0]["is_causal"] == bool(call_kw.get("use_causal_mask"))
    generic = np_out(gl(uq, uv, **ucall))
    assert len(calls) == 1  # the subclass kept its own _compute_attention
    want = keras_np(kl(Q, V, **call_kw))
    if case == "fully_masked_row":
        # Keras 3's fused path: a query row with nothing to attend to averages the values
        # uniformly; the explicit path zeroes its probabilities. The other rows agree.
        keep = _ROW_MASKED.any(-1)[..., None]
        _close(fused, want)
        _close(np.where(keep, fused, 0), np.where(keep, generic, 0))
    else:
        _close(fused, want)
        _close(fused, generic)


def test_mha_fused_path_uses_the_framework_kernel(framework, fw_arr, monkeypatch):
    """torch: F.scaled_dot_product_attention (is_causal passed, no [T, S] mask built);
    jax: jax.nn.dot_product_attention; TensorFlow: the generic path (no fused op)."""
    seen = []
    if framework == "torch":
        import torch.nn.functional as F

        real = F.scaled_dot_product_attention
        monkeypatch.setattr(F, "scaled_dot_product_attention",
                            lambda *a, **kw: seen.append(kw) or real(*a, **kw))
    elif framework == "jax":
        import jax

        real = jax.nn.dot_product_attention
        monkeypatch.setattr(jax.nn, "dot_product_attention",
                            lambda *a, **kw: seen.append(kw) or real(*a, **kw))
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    x = fw_arr(Q, framework)
    layer(x, x, use_causal_mask=True)
    if framework == "tensorflow":
        assert seen == []
        return
    assert len(seen) == 1 and seen[0]["is_causal"] is True
    assert seen[0].get("attn_mask", seen[0].get("mask")) is None


def test_mha_fused_path_gradients_match_generic(framework, fw_arr):
    """Training goes through the fused kernel: its input gradients equal the explicit path's."""
    from unikeras import ops

    ul, gl = MultiHeadAttention(num_heads=2, key_dim=3), _GenericMHA(num_heads=2, key_dim=3)
    x = fw_arr(Q, framework)
    ul(x, x)
    gl(x, x)
    gl.set_weights(ul.get_weights())
    grads = []
    for layer in (ul, gl):
        if framework == "jax":
            import jax

            m = jax.numpy.asarray(ATT_MASK[:, :, :4])
            g = jax.grad(lambda a: layer(a, a, attention_mask=m).sum())(x)
        elif framework == "torch":
            import torch

            a = torch.tensor(Q, requires_grad=True)
            layer(a, a, attention_mask=torch.tensor(ATT_MASK[:, :, :4])).sum().backward()
            g = a.grad
        else:
            import tensorflow as tf

            a = tf.constant(Q)
            with tf.GradientTape() as tape:
                tape.watch(a)
                y = tf.reduce_sum(layer(a, a, attention_mask=tf.constant(ATT_MASK[:, :, :4])))
            g = tape.gradient(y, a)
        grads.append(np.asarray(ops.convert_to_numpy(g)))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_flash_attention_switches_as_keras(keras, any_framework, fw_arr):
    import unikeras

    assert unikeras.config.is_flash_attention_enabled() is keras.config.is_flash_attention_enabled()
    try:
        unikeras.config.disable_flash_attention()
        keras.config.disable_flash_attention()
        assert unikeras.config.is_flash_attention_enabled() is False
        assert keras.config.is_flash_attention_enabled() is False
        # layers built while disabled do not ask for flash attention; the fused (non-flash)
        # path still runs and gives the same numbers
        off = MultiHeadAttention(num_heads=2, key_dim=3)
        assert off._flash_attention is False
        x = fw_arr(Q, any_framework)
        out_off = np.asarray(to_numpy(off(x, x)))
    finally:
        unikeras.config.enable_flash_attention()
        keras.config.enable_flash_attention()
    assert unikeras.config.is_flash_attention_enabled() is None
    on = MultiHeadAttention(num_heads=2, key_dim=3)
    on(x, x)
    on.set_weights(off.get_weights())
    _close(np.asarray(to_numpy(on(x, x))), out_off)
    with pytest.raises(ValueError, match="Dropout is not supported when flash attention"):
        MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.1, flash_attention=True)
    forced = MultiHeadAttention(num_heads=2, key_dim=3, flash_attention=True)
    with pytest.raises(ValueError, match="Returning attention scores is not supported"):
        forced(x, x, return_attention_scores=True)


def test_flash_attention_true_needs_a_flash_kernel(any_framework, fw_arr):
    """flash_attention=True on CPU: a ValueError on every framework, as Keras 3."""
    from unikeras import nn_ops

    q = fw_arr(RNG.standard_normal((1, 4, 2, 8)).astype("float32"), any_framework)
    with pytest.raises(ValueError, match="flash"):
        nn_ops.dot_product_attention(q, q, q, flash_attention=True)
