"""A unikeras model living on torch is a torch.nn.Module, used the way a PyTorch user
uses modules: nested in their own nn.Module, trained by torch.optim in a plain loop,
state_dict / functional_call / torch.compile / torch.export / hooks / train()-eval().
Numbers are compared with an equivalent pure-torch model holding the same weights."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import unikeras as keras  # noqa: E402
from unikeras import layers  # noqa: E402


def mlp(seed=0, dropout=None):
    keras.utils.set_random_seed(seed)
    body = [layers.Input((4,)), layers.Dense(8, activation="relu")]
    if dropout:
        body.append(layers.Dropout(dropout, seed=seed))
    body.append(layers.Dense(3))
    return keras.Sequential(body)


def torch_twin(model):
    """nn.Sequential(Linear, ReLU, Linear) holding the unikeras model's weights."""
    dense = [l for l in model.layers if isinstance(l, layers.Dense)]
    twin = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():
        for lin, d in zip((twin[0], twin[2]), dense):
            lin.weight.copy_(torch.as_tensor(d.kernel.numpy().T))
            lin.bias.copy_(torch.as_tensor(d.bias.numpy()))
    return twin


class Net(nn.Module):
    """A torch user's module: a unikeras model as the body, a torch Linear as the head."""

    def __init__(self, body):
        super().__init__()
        self.body = body
        self.head = nn.Linear(3, 2)

    def forward(self, x):
        return self.head(torch.relu(self.body(x)))


def test_outer_module_registers_and_adam_trains_like_pure_torch():
    model = mlp()
    model(torch.zeros(1, 4))  # called with torch tensors: it lives on torch now
    assert isinstance(model, nn.Module)
    net = Net(model)
    torch.manual_seed(1)
    ref = Net(torch_twin(model))
    with torch.no_grad():
        ref.head.weight.copy_(net.head.weight)
        ref.head.bias.copy_(net.head.bias)
    assert [n for n, _ in net.named_parameters()] == [
        "body.0.kernel", "body.0.bias", "body.1.kernel", "body.1.bias",
        "head.weight", "head.bias"]
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in ref.parameters())

    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    ref_opt = torch.optim.Adam(ref.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, generator=g)
    y = torch.randint(0, 2, (16,), generator=g)
    loss_fn = nn.CrossEntropyLoss()
    losses, ref_losses = [], []
    for _ in range(8):
        for m, o, out in ((net, opt, losses), (ref, ref_opt, ref_losses)):
            o.zero_grad()
            loss = loss_fn(m(x), y)
            loss.backward()
            o.step()
            out.append(loss.item())
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5, atol=1e-6)
    assert losses[-1] < losses[0] * 0.8
    # the unikeras variables are the trained Parameters
    np.testing.assert_allclose(model.layers[0].kernel.numpy(),
                               ref.body[0].weight.detach().numpy().T, rtol=1e-5, atol=1e-6)


def test_module_api_names_buffers_children_and_kwargs():
    class Block(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(4)
            self.norm = layers.BatchNormalization()
            self.blocks = [layers.Dense(4), layers.Dense(4)]

        def call(self, x, training=None):
            x = self.norm(self.dense(x), training=training)
            for b in self.blocks:
                x = b(x)
            return x

    block = Block()
    block.to("cpu")                          # moved to torch before it is built
    block(torch.ones(2, 3))
    assert isinstance(block, nn.Module)
    names = [n for n, _ in block.named_parameters()]
    assert names == ["dense.kernel", "dense.bias", "norm.gamma", "norm.beta",
                     "blocks_0.kernel", "blocks_0.bias", "blocks_1.kernel", "blocks_1.bias"]
    assert [n for n, _ in block.named_buffers()] == ["norm.moving_mean", "norm.moving_variance"]
    assert [n for n, _ in block.named_parameters(prefix="m", recurse=False)] == []
    assert [n for n, _ in block.norm.named_parameters(prefix="m")] == ["m.gamma", "m.beta"]
    assert [n for n, _ in block.named_children()] == ["dense", "norm", "blocks_0", "blocks_1"]
    assert [n for n, _ in block.named_modules()] == [
        "", "dense", "norm", "blocks_0", "blocks_1"]
    assert list(block.state_dict()) == names[:4] + [
        "norm.moving_mean", "norm.moving_variance"] + names[4:]
    # functional_call walks those names (BatchNorm statistics as buffers included)
    x = torch.randn(2, 3)
    block.eval()
    state = {k: v.detach() for k, v in block.state_dict().items()}
    torch.testing.assert_close(torch.func.functional_call(block, state, (x,)), block(x))
    zeroed = dict(state, **{"blocks_1.kernel": torch.zeros(4, 4)})
    torch.testing.assert_close(torch.func.functional_call(block, zeroed, (x,)),
                               state["blocks_1.bias"].expand(2, 4))
    # Parameters are the variables' values; buffers are the non-trainable variables
    assert block.get_parameter("dense.kernel") is block.dense.kernel.value
    assert block.norm.moving_mean.value is dict(block.named_buffers())["norm.moving_mean"]
    # a layer shared twice: remove_duplicate as torch
    shared = layers.Dense(2)

    class Twice(keras.Model):
        def __init__(self):
            super().__init__()
            self.a = shared
            self.b = shared

        def call(self, x):
            return self.b(self.a(x))

    tw = Twice()
    tw(torch.ones(1, 2))
    assert [n for n, _ in tw.named_parameters()] == ["a.kernel", "a.bias"]
    assert [n for n, _ in tw.named_parameters(remove_duplicate=False)] == [
        "a.kernel", "a.bias", "b.kernel", "b.bias"]
    # zero_grad clears the gradients of every parameter
    tw(torch.ones(1, 2)).sum().backward()
    assert shared.kernel.value.grad is not None
    tw.zero_grad()
    assert shared.kernel.value.grad is None


def test_state_dict_round_trip_into_a_fresh_model():
    model = mlp(seed=3)
    x = torch.randn(5, 4)
    y = model(x)
    fresh = mlp(seed=4)
    fresh.to("cpu")
    assert not torch.allclose(fresh(x), y)
    result = fresh.load_state_dict(model.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    torch.testing.assert_close(fresh(x), y)
    # the unikeras side sees the loaded values (get_weights, saving)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="Missing key"):
        fresh.load_state_dict({"0.kernel": model.state_dict()["0.kernel"]})


def test_functional_call_compile_and_export_agree_with_eager():
    model = mlp(seed=5)
    x = torch.randn(6, 4)
    eager = model(x)
    twin = torch_twin(model)
    params = {k: v.detach() * 0.5 for k, v in model.named_parameters()}
    out = torch.func.functional_call(model, params, (x,))
    twin_params = {"0.weight": params["0.kernel"].T, "0.bias": params["0.bias"],
                   "2.weight": params["1.kernel"].T, "2.bias": params["1.bias"]}
    torch.testing.assert_close(out, torch.func.functional_call(twin, twin_params, (x,)))
    torch.testing.assert_close(model(x), eager)        # the model's own weights are back
    # gradients through functional_call, as torch.func users take them
    grads = torch.func.grad(lambda p: torch.func.functional_call(model, p, (x,)).sum())(params)
    assert set(grads) == set(params) and grads["1.bias"].shape == (3,)
    torch.testing.assert_close(grads["1.bias"], torch.full((3,), 6.0))

    compiled = torch.compile(model)
    torch.testing.assert_close(compiled(x), eager, rtol=1e-5, atol=1e-6)
    exported = torch.export.export(model, (x,))
    assert [s.target for s in exported.graph_signature.input_specs if s.target] == [
        "0.kernel", "0.bias", "1.kernel", "1.bias"]
    torch.testing.assert_close(exported.module()(x), eager, rtol=1e-5, atol=1e-6)
    x2 = torch.randn(6, 4)
    torch.testing.assert_close(exported.module()(x2), model(x2), rtol=1e-5, atol=1e-6)
    assert model.layers[0] is model._modules["0"]       # export left the model intact


def test_train_eval_reach_training_flag():
    model = mlp(seed=6, dropout=0.5)
    x = torch.randn(64, 4)
    model(x)
    no_drop = torch_twin(model)(x)
    # Keras default before train()/eval(): training=None is inference
    torch.testing.assert_close(model(x), no_drop)
    model.train()
    a, b = model(x), model(x)
    assert not torch.allclose(a, b)                        # dropout active, fresh masks
    assert model.training and model.layers[1].training
    model.eval()
    assert not model.layers[1].training
    torch.testing.assert_close(model(x), no_drop)
    assert not torch.allclose(model(x, training=True), no_drop)   # explicit wins
    # eval() of an outer torch module reaches the unikeras model inside
    net = Net(model)
    net.train()
    assert not torch.allclose(net(x), net(x))
    net.eval()
    torch.testing.assert_close(net(x), net(x))


def test_forward_hooks_and_pre_hooks():
    model = mlp(seed=7)
    x = torch.randn(3, 4)
    seen = []
    h1 = model.layers[0].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    h2 = model.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = model(x)
    torch.testing.assert_close(out, torch_twin(model)(x * 0))
    assert seen == [torch.Size([3, 8])]
    h1.remove()
    h2.remove()
    torch.testing.assert_close(model(x), torch_twin(model)(x))
    assert len(seen) == 1


def test_to_dtype_and_float64_numbers():
    model = mlp(seed=8)
    model.to(torch.float64)
    x = np.random.default_rng(0).normal(size=(4, 4))
    out = model(torch.as_tensor(x))
    assert out.dtype == torch.float64
    k0, b0, k1, b1 = [w.astype(np.float64) for w in model.get_weights()]
    ref = np.maximum(x @ k0 + b0, 0) @ k1 + b1
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)
    assert model.layers[0].kernel.dtype == "float64"
    model.float()
    assert model(torch.as_tensor(x, dtype=torch.float32)).dtype == torch.float32


def test_jax_use_leaves_the_class_alone():
    jnp = pytest.importorskip("jax.numpy")
    from unikeras.xp import set_default_framework

    set_default_framework("jax")   # (with torch the default, layers start as Modules)
    try:
        model = mlp(seed=9)
    finally:
        set_default_framework(None)
    model(jnp.ones((1, 4)))
    assert type(model) is keras.Sequential and not isinstance(model, nn.Module)
    model(torch.ones(1, 4))
    assert isinstance(model, nn.Module) and type(model).__name__ == "Sequential"
    model(jnp.ones((1, 4)))            # back on jax: torch sees no tensors
    assert list(model.parameters()) != []   # parameters() moves it to torch again
    assert model.framework == "torch"


# ------------------------------------------------------------------ TorchModuleWrapper
def wrapped_model(seed=0):
    torch.manual_seed(seed)
    lin = nn.Linear(4, 3)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([layers.Input((4,)),
                              layers.TorchModuleWrapper(lin, name="tw"),
                              layers.Dense(1)])
    return model, lin


def test_torch_module_wrapper_trains_with_fit_like_torch(tmp_path):
    model, lin = wrapped_model()
    assert [n for n, _ in model.named_parameters()] == [
        "0.module.weight", "0.module.bias", "1.kernel", "1.bias"]
    assert [v.path for v in model.trainable_weights[:2]] == ["tw/weight", "tw/bias"]
    # reference: the same weights in plain torch, trained by plain SGD
    ref = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 1))
    with torch.no_grad():
        ref[0].weight.copy_(lin.weight)
        ref[0].bias.copy_(lin.bias)
        ref[1].weight.copy_(torch.as_tensor(model.layers[1].kernel.numpy().T))
        ref[1].bias.copy_(torch.as_tensor(model.layers[1].bias.numpy()))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 4, generator=g)
    y = torch.randn(32, 1, generator=g)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    hist = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    for _ in range(3):
        epoch = []
        for i in range(0, 32, 8):
            opt.zero_grad()
            loss = nn.functional.mse_loss(ref(x[i:i + 8]), y[i:i + 8])
            loss.backward()
            opt.step()
            epoch.append(loss.item())
    np.testing.assert_allclose(hist.history["loss"][-1], np.mean(epoch), rtol=1e-5)
    torch.testing.assert_close(lin.weight, ref[0].weight)   # fit updated the module
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.predict(x, verbose=0)),
                               ref(x).detach().numpy(), rtol=1e-5, atol=1e-6)


class _Marker:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_torch_module_wrapper_saves_named_tensors_without_pickle(tmp_path):
    model, lin = wrapped_model(seed=1)
    model.layers[0].module.register_buffer("steps", torch.tensor([7.0]))
    x = torch.randn(5, 4)
    y = model.predict(x, verbose=0)
    wpath, kpath = str(tmp_path / "m.weights.h5"), str(tmp_path / "m.keras")
    model.save_weights(wpath)
    model.save(kpath)
    import h5py

    with h5py.File(wpath) as f:
        assert sorted(f["layers/torch_module_wrapper/vars"]) == ["bias", "steps", "weight"]
    with zipfile.ZipFile(kpath) as z:
        config = json.loads(z.read("config.json"))
    (spec,) = [c for c in config["config"]["layers"] if c["class_name"] == "TorchModuleWrapper"]
    assert "module" not in spec["config"]
    assert spec["config"]["module_class"] == "torch.nn.modules.linear.Linear"

    # weights into a model built in code
    other, other_lin = wrapped_model(seed=2)
    other.layers[0].module.register_buffer("steps", torch.tensor([0.0]))
    other.load_weights(wpath)
    np.testing.assert_allclose(other.predict(x, verbose=0), y, rtol=1e-6)
    assert other_lin.steps.item() == 7.0

    # a whole .keras file: the module is passed, never read from the file
    with pytest.raises(ValueError, match=r"custom_objects=\{'tw': module\}"):
        keras.saving.load_model(kpath)

    def build():
        m = nn.Linear(4, 3)
        m.register_buffer("steps", torch.tensor([0.0]))
        return m

    loaded = keras.saving.load_model(kpath, custom_objects={"tw": build})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), y, rtol=1e-6)
    assert loaded.layers[0].module.steps.item() == 7.0

    # a Keras-style config whose module is pickled is never unpickled
    marker = tmp_path / "unpickled"
    import base64

    cfg = loaded.layers[0].get_config()
    cfg["module"] = base64.b64encode(pickle.dumps(_Marker(str(marker)))).decode()
    layer = layers.TorchModuleWrapper.from_config(cfg, custom_objects={"tw": build})
    assert not marker.exists() and isinstance(layer.module, nn.Linear)


def test_torch_module_wrapper_subclass_rebuilds_its_module(tmp_path):
    @keras.saving.register_keras_serializable(package="test_torch_module")
    class Block(layers.TorchModuleWrapper):
        def __init__(self, **kwargs):
            super().__init__(nn.Sequential(nn.Linear(4, 4), nn.Tanh()), **kwargs)

    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Input((4,)), Block(), layers.Dense(2)])
    x = torch.randn(3, 4)
    y = model.predict(x, verbose=0)
    path = str(tmp_path / "b.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), y, rtol=1e-6)


def test_torch_module_wrapper_errors_and_modes():
    with pytest.raises(ValueError, match="expected a torch.nn.Module"):
        layers.TorchModuleWrapper(np.ones(3))
    with pytest.raises(ValueError, match="LazyModules"):
        layers.TorchModuleWrapper(nn.LazyLinear(3))
    drop = layers.TorchModuleWrapper(nn.Dropout(0.5))
    x = torch.ones(200)
    assert torch.equal(drop(x, training=False), x)
    assert not drop.module.training
    assert (drop(x, training=True) == 0).any()
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(ValueError, match="runs on torch only .* cannot run on jax"):
        drop(jnp.ones(3))


def test_raw_torch_module_attribute_is_wrapped_and_trained_by_fit():
    # the Keras 3 docstring idiom: torch modules as attributes of a keras.Model
    class Classifier(keras.Model):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)
            self.act = nn.Tanh()

        def call(self, x):
            return self.act(self.fc(x))

    torch.manual_seed(0)
    model = Classifier()
    assert isinstance(model.fc, layers.TorchModuleWrapper)
    assert len(model.trainable_weights) == 2
    ref = nn.Sequential(nn.Linear(4, 2), nn.Tanh())
    with torch.no_grad():
        ref[0].weight.copy_(model.fc.module.weight)
        ref[0].bias.copy_(model.fc.module.bias)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(16, 4, generator=g), torch.randn(16, 2, generator=g)
    model.compile(optimizer=keras.optimizers.SGD(0.2), loss="mse")
    model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    opt = torch.optim.SGD(ref.parameters(), lr=0.2)
    for _ in range(4):
        opt.zero_grad()
        nn.functional.mse_loss(ref(x), y).backward()
        opt.step()
    torch.testing.assert_close(model.fc.module.weight, ref[0].weight)
    assert [n for n, _ in model.named_parameters()] == ["fc.module.weight", "fc.module.bias"]


def test_double_on_a_functional_model_computes_in_float64():
    keras.utils.set_random_seed(10)
    i = keras.Input((4,))
    model = keras.Model(i, layers.Dense(2)(layers.Dense(3, activation="tanh")(i)))
    model.double()
    x = np.random.default_rng(1).normal(size=(3, 4))
    out = model(torch.as_tensor(x))
    k0, b0, k1, b1 = model.get_weights()
    assert k0.dtype == np.float64
    np.testing.assert_allclose(out.detach().numpy(), np.tanh(x @ k0 + b0) @ k1 + b1, rtol=1e-12)


def test_deepcopy_and_pickle_keep_a_working_module():
    import copy

    model = mlp(seed=11)
    x = torch.randn(3, 4)
    y = model(x)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert type(clone) is type(model) and isinstance(clone, nn.Module)
        assert [n for n, _ in clone.named_parameters()] == ["0.kernel", "0.bias",
                                                            "1.kernel", "1.bias"]
        torch.testing.assert_close(clone(x), y)
        with torch.no_grad():
            for p in clone.parameters():
                p.add_(1.0)             # the copy's Parameters are its variables ...
        assert not torch.allclose(clone(x), y)
        torch.testing.assert_close(model(x), y)   # ... and not the original's


def test_with_torch_as_default_framework_layers_are_modules_from_the_start():
    from unikeras.xp import set_default_framework

    set_default_framework("torch")
    try:
        class Outer(nn.Module):
            def __init__(self):
                super().__init__()
                # never called yet: registers at once, as under Keras 3's torch backend
                self.body = keras.Sequential([layers.Input((4,)), layers.Dense(3)])
                self.lazy = keras.Sequential([layers.Dense(2)])   # built on first call

        outer = Outer()
        assert isinstance(outer.body, nn.Module)
        assert [n for n, _ in outer.named_parameters()] == ["body.0.kernel", "body.0.bias"]
        outer.lazy(np.ones((1, 5), "float32"))       # NumPy runs on the default, torch
        assert [n for n, _ in outer.lazy.named_parameters()] == ["0.kernel", "0.bias"]
        assert outer.lazy.layers[0].kernel.value.shape == (5, 2)
    finally:
        set_default_framework(None)


def test_parameter_swap_by_setattr_and_class_swapping_wrapper():
    # What torch wrappers such as FSDP2's fully_shard do to a module: swap its class for
    # a subclass of its own, and swap parameters by setattr. The layer stays one Module
    # (no second wrap), its call reads the Parameter torch put there, and the Keras
    # Variable follows.
    m = mlp()
    x = torch.randn(5, 4)
    m(x)
    dense = m.layers[0]
    cls = type(dense)

    class WrapperMixin:
        pass

    dense.__class__ = type(f"Wrapped{cls.__name__}", (WrapperMixin, cls), {})
    new_kernel = nn.Parameter(torch.randn(4, 8))
    setattr(dense, "kernel", new_kernel)
    assert dense._parameters["kernel"] is new_kernel
    assert dense.weights[0].value is new_kernel
    # torch's view on the wrapped class: the attribute is the Parameter
    assert getattr(dense, "kernel") is new_kernel
    assert [p is new_kernel for p in m.parameters()][0]
    out = m(x)
    assert type(dense).__mro__[1] is WrapperMixin  # not wrapped again by the call
    twin = torch_twin(m)
    with torch.no_grad():
        twin[0].weight.copy_(new_kernel.T)
    torch.testing.assert_close(out, twin(x))
    out.sum().backward()
    assert new_kernel.grad is not None and new_kernel.grad.shape == (4, 8)


def test_class_swapping_wrapper_keeps_keras_class_names():
    # configs and .keras files name the Keras class, not the wrapper's (FSDPDense)
    inp = keras.Input((4,))
    f = keras.Model(inp, layers.Dense(3)(layers.Dense(8)(inp)))
    s = mlp()
    x = torch.randn(2, 4)
    for m in (f, s):
        m(x)
        for layer in [*m.layers, m]:
            cls = type(layer)
            layer.__class__ = type(f"Wrapped{cls.__name__}", (cls,), {})
        config = json.loads(m.to_json())
        assert config["class_name"] in ("Functional", "Sequential")
        names = [c["class_name"] for c in config["config"]["layers"]]
        assert names == ["InputLayer", "Dense", "Dense"], names
        again = keras.models.model_from_json(m.to_json())
        again.set_weights(m.get_weights())
        np.testing.assert_allclose(again(x.numpy()), m(x).detach().numpy(), rtol=1e-5, atol=1e-6)
