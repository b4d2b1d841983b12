"""Stateless scopes and stateless_call: pure functions of their inputs."""

import numpy as np
import pytest

import unikeras as keras
from unikeras import layers, xp
from unikeras.state import StatelessScope, Variable, swap_values


def test_assignment_inside_stateless_scope_is_recorded_not_applied(any_framework, to_fw):
    v = Variable(np.zeros(3, "float32"), name="v")
    v._move_to(any_framework)

    def f(value):
        with swap_values([v], [value]) as scope:
            v.assign(v.value + to_fw(np.ones(3, "float32"), any_framework))
            return v.value, list(scope.assigned.values())

    new, assigned = f(v.value)
    np.testing.assert_array_equal(xp.to_numpy(new), [1, 1, 1])
    assert assigned == [v]
    np.testing.assert_array_equal(v.numpy(), [0, 0, 0])


def test_assign_add(any_framework, to_fw):
    """assign_add: in place where the framework allows (the same torch Parameter /
    tf.Variable object), recorded and not applied inside a stateless scope, and the
    general path for deltas the fast path refuses (another dtype, a broadcast)."""
    v = Variable(np.zeros(3, "float32"), name="v")
    v._move_to(any_framework)
    native = v.value
    v.assign_add(2.0)
    v.assign_add(to_fw(np.array([1.0, 2.0, 3.0], "float32"), any_framework))
    np.testing.assert_array_equal(v.numpy(), [3, 4, 5])
    if any_framework in ("torch", "tensorflow"):
        assert v.value is native
    v.assign_add(to_fw(np.array([1, 1, 1], "int32"), any_framework))  # another dtype
    np.testing.assert_array_equal(v.numpy(), [4, 5, 6])
    with swap_values([v], [v.value]) as scope:
        v.assign_add(1.0)
        assert list(scope.assigned.values()) == [v]
    np.testing.assert_array_equal(v.numpy(), [4, 5, 6])
    c = Variable(np.zeros((), "int32"), name="c", trainable=False)
    c._move_to(any_framework)
    c.assign_add(3)
    assert int(c.numpy()) == 3


class MovingMean(layers.Layer):
    def build(self, shape):
        self.scale = self.add_weight(shape=(shape[-1],), initializer="ones", name="scale")
        self.mean = self.add_weight(shape=(shape[-1],), initializer="zeros", trainable=False, name="mean")

    def call(self, x, training=None):
        xp_ = xp.namespace(x)
        if training:
            self.mean = 0.5 * self.mean + 0.5 * xp_.mean(x, axis=0)
        return x * self.scale - self.mean


def test_stateless_call_is_pure(framework, to_fw):
    layer = MovingMean()
    x = to_fw(np.full((4, 2), 2.0, "float32"), framework)
    layer(x)
    tv = [xp.asarray(np.full(2, 3.0, "float32"), framework=framework)]
    ntv = [xp.asarray(np.zeros(2, "float32"), framework=framework)]
    out, new_ntv = layer.stateless_call(tv, ntv, x, training=True)
    np.testing.assert_allclose(xp.to_numpy(out), 6.0 - 1.0)
    np.testing.assert_allclose(xp.to_numpy(new_ntv[0]), [1.0, 1.0])
    np.testing.assert_allclose(layer.scale.numpy(), 1.0)  # untouched
    np.testing.assert_allclose(layer.mean.numpy(), 0.0)
    # a stateful call does update
    layer(x, training=True)
    np.testing.assert_allclose(layer.mean.numpy(), 1.0)


def test_stateless_call_under_jax_jit():
    jax = pytest.importorskip("jax")
    layer = MovingMean()
    x = jax.numpy.full((4, 2), 2.0)
    layer(x)
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]
    f = jax.jit(lambda tv, ntv, x: layer.stateless_call(tv, ntv, x, training=True))
    out, ntv2 = f(tv, ntv, x)
    out, ntv3 = f(tv, ntv2, x)
    np.testing.assert_allclose(np.asarray(ntv3[0]), 1.5)
    np.testing.assert_allclose(layer.mean.numpy(), 0.0)


def test_stateless_call_checks_counts(framework, to_fw):
    layer = MovingMean()
    layer(to_fw(np.ones((1, 2), "float32"), framework))
    with pytest.raises(ValueError, match="expected 1 trainable and 1 non-trainable"):
        layer.stateless_call([], [], to_fw(np.ones((1, 2), "float32"), framework))


def test_optimizer_stateless_apply(framework, to_fw):
    layer = layers.Dense(1, use_bias=False, kernel_initializer="ones")
    layer(to_fw(np.ones((1, 2), "float32"), framework))
    opt = keras.optimizers.SGD(0.5)
    opt.build(layer.trainable_variables)
    g = [to_fw(np.ones((2, 1), "float32"), framework)]
    tv = [layer.kernel.value * 1]
    new_tv, new_ov = opt.stateless_apply([v.value for v in opt.variables], g, tv)
    np.testing.assert_allclose(xp.to_numpy(new_tv[0]), 0.5)
    np.testing.assert_allclose(layer.kernel.numpy(), 1.0)
    assert int(xp.to_numpy(new_ov[0])) == 1 and int(opt.iterations.numpy()) == 0
