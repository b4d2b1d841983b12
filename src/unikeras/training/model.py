"""``Model``: a Layer with compile / fit / evaluate / predict, written once.

The loop is framework-neutral; each step runs through the trainer of the data's
framework (``unikeras.training.<framework>``), which decides how the step is compiled
(jax.jit with buffer donation, tf.function, eager torch or torch.compile) and how
gradients are taken. ``train_step`` / ``test_step`` / ``predict_step`` can be
overridden in each framework's idiom, as in Keras 3. With
``compile(steps_per_execution=k)``, fit and evaluate hand the trainer groups of up to k
batches (``train_steps`` / ``test_steps``) and call the batch callbacks once per group;
predict stays one batch per call.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from .._nest import map_nested, present_leaves as _leaves
from .. import config as _config
from .. import xp as _xp
from ..layers.layer import Layer
from ..layers.operation import _default
from ..xp import concat_rows, framework_of, framework_scope, namespace, scope_framework, shim, to_numpy
from ..xp._registry import scoped_framework
from . import callbacks as callbacks_mod
from . import optimizers as optimizers_mod
from .compile_utils import CompileLoss, CompileMetrics
from .losses import LABELS_CHECKED
from .metrics.base import result_value
from .data import (
    host_floatx,
    split_validation,
    to_framework_batch,
    unpack_x_y_sample_weight,
)
from .data_adapters import get_adapter
from .metrics import Mean


def _inject_functional(cls):
    """Put Functional where Model is among ``cls``'s bases (recursively), in place."""
    from .functional import Functional

    if cls is Model:
        return Functional
    if cls is object or issubclass(cls, Functional) or not issubclass(cls, Model):
        return cls
    try:
        cls.__bases__ = tuple(_inject_functional(b) for b in cls.__bases__)
    except TypeError as e:
        raise TypeError(f"{cls.__name__}(inputs, outputs): cannot make this Model subclass "
                        f"a Functional model ({e}); subclass keras.Model without calling it "
                        "on inputs/outputs, or build a keras.Model(inputs, outputs)") from None
    return cls


class _Deferred(dict):
    """What Keras' default ``compute_metrics`` returns during a fit whose per-batch logs
    nobody reads (see ``Model.fit``): non-empty, so the fit loop knows a step ran; the
    epoch's logs come from ``get_metrics_result`` at its end."""


DEFERRED_LOGS = _Deferred(deferred=True)


def _row_count(xp, leaves):
    """The batch size of a traced step whose batch axis is unknown (TF test/predict
    steps relax it to None after a second batch size): counted in the graph from the
    first numeric input (strings cannot be counted by the Array API)."""
    for leaf in leaves:
        if xp.isdtype(leaf.dtype, "numeric") or xp.isdtype(leaf.dtype, "bool"):
            column = leaf[(slice(None),) + (0,) * (len(leaf.shape) - 1)]
            return xp.sum(xp.ones_like(column, dtype=xp.float32))
    raise ValueError("Cannot count the rows of a batch of unknown size without a numeric "
                     f"input; received inputs of dtypes {[str(l.dtype) for l in leaves]}")


class Model(Layer):
    """Keras 3's ``Model``: ``Model(inputs, outputs)`` builds a Functional model;
    subclassing ``Model`` and defining ``call`` builds a subclassed one."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls, *args, **kwargs)  # (Operation: the automatic config)

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            # `class CustomModel(keras.Model)` built as CustomModel(inputs, outputs): as in
            # Keras 3, the subclass becomes a Functional subclass (custom train_step etc.
            # on a functional graph)
            from .functional import Functional

            if not isinstance(self, Functional):
                _inject_functional(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        super().__init__(**kwargs)
        self._init_model_state()

    def _init_model_state(self):
        d = self.__dict__
        d["optimizer"] = None
        d["compiled"] = False
        d["stop_training"] = False
        d["history"] = None
        d["_trainers"] = {}
        d["_loss_tracker"] = None
        d["_compile_loss"] = None
        d["_compile_metrics"] = None
        d["_user_loss"] = None
        d["loss"] = None  # Keras' model.loss: what compile() was given
        # compile() defaults, so predict() works on a model that was never compiled
        d["run_eagerly"] = False
        d["jit_compile"] = True
        d["_explicit_jit"] = False
        d["steps_per_execution"] = 1

    # A model's optimizer/metrics are not sublayers and not part of its pytree.
    def __setattr__(self, name, value):
        if name in ("optimizer", "history", "stop_training", "compiled"):
            object.__setattr__(self, name, value)
            return
        super().__setattr__(name, value)

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training (Keras 3 signature)."""
        if optimizer == "rmsprop" and "rmsprop" not in optimizers_mod._ALIASES:
            optimizer = "adam"
        self.optimizer = optimizers_mod.get(optimizer)
        if (auto_scale_loss and self.dtype_policy.name == "mixed_float16"
                and not isinstance(self.optimizer, optimizers_mod.LossScaleOptimizer)):
            # Keras: float16 gradients underflow without loss scaling
            self.optimizer = optimizers_mod.LossScaleOptimizer(self.optimizer,
                                                               name="loss_scale_optimizer")
        self._user_loss = loss
        self.__dict__["loss"] = loss
        names = getattr(self, "output_names", None)
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics, names, loss)
        self.__dict__["_loss_tracker"] = Mean(name="loss")
        self.run_eagerly = bool(run_eagerly)
        # "auto": jax jits every step; tf runs steps in tf.function; torch runs eagerly.
        # True additionally asks for XLA (tf) and torch.compile (torch).
        self._explicit_jit = jit_compile is True
        if jit_compile == "auto":
            jit_compile = not run_eagerly
        self.jit_compile = bool(jit_compile) and not run_eagerly
        steps_per_execution = int(steps_per_execution)
        if steps_per_execution < 1:
            raise ValueError("compile: steps_per_execution must be a positive int; received "
                             f"{steps_per_execution}")
        self.steps_per_execution = steps_per_execution
        self.compiled = True
        self._trainers.clear()

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() before {what}().")

    @property
    def layers(self):
        """The model's direct sublayers, in the order they were assigned (Keras 3's
        ``Model.layers`` for a subclassed model; Sequential/Functional list their own)."""
        return list(self._layers)

    def get_layer(self, name=None, index=None):
        """A direct sublayer by name or index (Keras' ``get_layer``)."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} out of range for a model with "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in layers]}")

    @property
    def metrics(self):
        """The loss tracker and every compiled metric."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        cm = self._compile_metrics
        if cm is not None and cm.built and cm.all():
            out.append(cm)  # Keras 3's "compile_metrics" container
        if self._compile_loss is not None and self._compile_loss._built:
            out.extend(self._compile_loss.metrics)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self):
        return [v for m in self.metrics for v in m.variables]

    def _flatten_metrics_in_order(self, logs):
        """Keras 3's list form of ``logs`` (``return_dict=False``): the loss, then each
        compiled metric in compile order, then any other key sorted; one value alone.
        As in Keras 3, the metrics of a multi-output model come under their output-prefixed
        names, which Keras does not list in order: they come sorted after the per-output
        losses."""
        names = []
        cm = self._compile_metrics
        for m in self.metrics:
            if m is cm:
                # Keras lists the compiled metrics by their own names, which a
                # multi-output model's logs prefix with the output: those then come
                # sorted after the per-output losses
                if len(cm.metrics) <= 1:
                    names += [sub.name for sub in cm.all()]
            else:
                names.append(m.name)
        values = [logs[n] for n in names if n in logs]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # ------------------------------------------------------------------ loss & metrics
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the model's own losses (regularization, add_loss)."""
        total = None
        if self._compile_loss is not None and y is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            if self._compile_loss is None and y is not None:
                raise ValueError("No loss to compute: pass loss= to compile() or add losses "
                                 "with add_loss().")
            xp = namespace(*_leaves(y_pred))
            return xp.asarray(0.0)
        return total

    def _update_loss_tracker(self, loss, x):
        leaves = _leaves(x)
        n = leaves[0].shape[0] if leaves else 1
        if n is None:
            n = _row_count(namespace(loss), leaves)
        if self.__dict__.get("_defer_logs") and type(n) is int and not loss.shape:
            # an eager step whose logs nobody reads per batch: added when read
            self._loss_tracker.defer_update(loss, n)
        else:
            self._loss_tracker.update_state(loss, sample_weight=n)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics and return ``get_metrics_result()``."""
        cm = self._compile_metrics
        if cm is not None and y is not None:
            if not cm.built:
                cm.build(y, y_pred, self._compile_loss.losses if self._compile_loss and self._compile_loss._built else [self._user_loss] * len(_as_outputs(y_pred)))
                self._place_metrics()
            cm.update_state(y, y_pred, sample_weight)
        if self.__dict__.get("_defer_logs"):
            return DEFERRED_LOGS
        return self.get_metrics_result()

    def get_metrics_result(self):
        out = {}
        for m in self.metrics:
            r = result_value(m.result())
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return out

    def _move_to(self, framework):
        # Compiled steps (tf.function) capture the framework's variable objects; after a
        # move away and back those are new objects, so the cached trainers are stale.
        if framework != self._framework:
            self._trainers.clear()
        super()._move_to(framework)

    def _host_target(self):
        """Where host data (NumPy, lists, pandas) given to ``fit``/``evaluate``/
        ``predict``/``*_on_batch`` runs: the same rule as ``model(x_numpy)``: the active
        ``framework_scope``, else the framework the model lives on, else the default."""
        return scope_framework() or self._host_framework()

    def _place_metrics(self):
        fw = self._framework
        if fw is None:
            return
        for m in self.metrics:
            m._move_to(fw)

    # ------------------------------------------------------------------ steps
    def train_step(self, *args):
        """Keras 3's default training step. On torch and TensorFlow (and JAX's stateful
        idiom) ``train_step(data)``; JAX's pure ``train_step(state, data)`` is also
        understood."""
        if len(args) == 2:
            # JAX's pure train_step(state, data) idiom, from the jax trainer
            return shim("jax", "training").pure_train_step(self, *args)
        (data,) = args
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        trainer = shim(self._framework, "training")
        loss, y_pred, grads = trainer.loss_and_grads(self, x, y, sample_weight)
        self._update_loss_tracker(loss, x)
        tv = self.trainable_variables
        if tv:
            self.optimizer.apply(grads, tv)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, *args):
        if len(args) == 2:
            return shim("jax", "training").pure_test_step(self, *args)
        (data,) = args
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._update_loss_tracker(loss, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, *args):
        data = args[-1]
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _trainer(self, framework, training=False):
        trainer = self._trainers.get(framework)
        if trainer is None:
            mod = shim(framework, "training")
            trainer = mod.Trainer(self) if mod is not None else _InferenceTrainer(self, framework)
            self._trainers[framework] = trainer
        if training and isinstance(trainer, _InferenceTrainer):
            raise ValueError(
                f"Training needs jax, torch or tensorflow; the data is on {framework!r}, which "
                "supports inference only (predict and evaluate work there; fit does not).")
        return trainer

    def _prepare(self, framework, first_batch, training):
        """Build the model (and the optimizer's slots) from a first batch, and move all
        state (model, optimizer, metrics) to ``framework``."""
        scoped = scoped_framework()
        if training and scoped is not None and scoped != framework:
            raise ValueError(
                f"Model {self.name!r}: fit() inside a tf.distribute strategy's scope received "
                f"{framework} arrays. The strategy distributes TensorFlow computations only, "
                f"so training on {framework} here would not be replicated. Pass TensorFlow "
                f"tensors or NumPy data (which run on TensorFlow in the scope), or call "
                f"fit() outside the scope to train on {framework}.")
        x, y, sw = unpack_x_y_sample_weight(first_batch)
        # A model that only overrides train_step/test_step (Keras' GAN and VAE guides)
        # has no call() to run: its sublayers are built by the user, as in Keras
        callable_ = self._defines_call()
        if not self.built:
            if callable_:
                self._symbolic_build(x, framework)
            else:
                self.built = True
        if self._framework != framework:
            self._move_to(framework)
        cm = self._compile_metrics
        if cm is not None and not cm.built and y is not None and callable_:
            # Build metrics/losses from one eager forward pass on the first batch.
            y_pred = self(x, training=False)
            if self._compile_loss is not None and not self._compile_loss._built:
                self._compile_loss.build(y, y_pred)
            losses = self._compile_loss.losses if self._compile_loss else [None] * len(_as_outputs(y_pred))
            cm.build(y, y_pred, losses)
        if (self._compile_loss is not None and not self._compile_loss._built and y is not None
                and callable_):
            self._compile_loss.build(y, self(x, training=False))
        self._place_metrics()
        if training and self.optimizer is not None:
            if not self.optimizer.built:
                self.optimizer.build(self.trainable_variables)
            self.optimizer._move_to(framework)

    def _defines_call(self):
        """Whether this model has a forward pass (``call``, or a Functional/Sequential
        graph): a subclass may override only ``train_step``."""
        from ..layers.layer import Layer

        return getattr(type(self).call, "__code__", None) not in (
            getattr(Layer.call, "__code__", None), getattr(Model.call, "__code__", None))

    def _symbolic_build(self, x, framework=None):
        """Build from a one-row sample of ``x``, run on NumPy when the model holds only
        built-in layers, else on ``framework`` (the one it will run on), so user code
        calling framework functions directly sees that framework's arrays."""
        from ..layers.symbolic import runs_user_code
        from ..xp import asarray

        leaves = _leaves(x)
        fw = self._framework or (framework if framework is not None and runs_user_code(self)
                                 else "numpy")
        sample = map_nested(lambda a: asarray(_small(a), framework=fw) if framework_of(a) in (None, "numpy")
                             else a[:1], x)
        from ..layers import _context

        ctx = _context.current()
        ctx.depth += 1
        try:
            with framework_scope(fw):
                self(sample, training=False)
        finally:
            ctx.depth -= 1

    # ------------------------------------------------------------------ fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train the model (Keras 3 signature); returns a History."""
        self._assert_compiled("fit")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(x, y, sample_weight, validation_split)
        data = get_adapter(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
                           class_weight=class_weight, steps=steps_per_epoch)
        labels_checked = self._check_sparse_labels(data)
        data.host_framework = self._host_target()
        framework = data.target_framework
        val_data = None
        if validation_data is not None:
            val_data = _val_adapter(validation_data, validation_batch_size or batch_size, validation_steps)
        steps = data.num_batches()
        # keras.config.set_max_epochs / set_max_steps_per_epoch cap every fit
        cap_epochs, cap_steps = _config.max_epochs(), _config.max_steps_per_epoch()
        if cap_epochs is not None:
            epochs = min(epochs, cap_epochs)
        if cap_steps is not None:
            steps = cap_steps if steps is None else min(steps, cap_steps)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks_mod.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                         model=self, verbose=verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        trainer = None
        cbs.on_train_begin()
        # A callback (BackupAndRestore) may resume an interrupted fit at a later epoch.
        initial_epoch = self.__dict__.pop("_initial_epoch", None) or initial_epoch
        epoch_logs = {}
        seen_any = False
        spe = max(1, int(self.steps_per_execution))
        keep = _takes_host_batches(self, framework, data)
        # Logs built only when read: a step that runs Python eagerly (torch) with Keras'
        # own train_step/compute_metrics, and no callback reading per-batch logs, skips
        # get_metrics_result per step (a division and a dict per metric); the epoch's
        # logs are read from the metrics at its end.
        reads_end = cbs.reads("on_train_batch_end")
        calls_begin = cbs.reads("on_train_batch_begin")  # (else a no-op per step)
        defer = (not reads_end
                 and type(self).train_step is Model.train_step
                 and type(self).compute_metrics is Model.compute_metrics)
        with framework_scope(framework):
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                logs = {}
                # k batches per call (steps_per_execution); the callbacks see one call per
                # group, with the indices of its first (begin) and last (end) step, as in
                # Keras 3; k = 1 calls the single-step function
                batch_iter = data.epoch()
                if cap_steps is not None:
                    batch_iter = itertools.islice(batch_iter, cap_steps)
                for begin, end, batches in _execution_groups(batch_iter, spe):
                    batches = [to_framework_batch(b, framework, keep) for b in batches]
                    if trainer is None:
                        self._trainer(framework, training=True)  # inference-only: raise now
                        self._prepare(framework, to_framework_batch(batches[0], framework),
                                      training=True)
                        # _prepare's first move to the framework drops cached trainers
                        trainer = self._trainer(framework, training=True)
                        # traced steps (jax, tf.function, torch.compile): logs are free
                        eager = getattr(trainer, "eager_steps", False)
                        defer = defer and eager
                        # (a traced step keeps its checks: train_on_batch reuses it)
                        skip_label_check = (labels_checked and eager and
                                            type(self).train_step is Model.train_step)
                    if calls_begin:
                        cbs.on_train_batch_begin(begin)
                    if defer:
                        self.__dict__["_defer_logs"] = True
                    LABELS_CHECKED.on = skip_label_check
                    try:
                        logs = callbacks_mod.flatten_logs(
                            trainer.train_step(batches[0]) if spe == 1
                            else trainer.train_steps(batches))
                    finally:
                        self.__dict__["_defer_logs"] = False
                        LABELS_CHECKED.on = False
                    seen_any = True
                    if reads_end:
                        cbs.on_train_batch_end(end, logs)
                    if self.stop_training:
                        break
                if not seen_any:
                    raise ValueError("fit() received an empty dataset: no batch was produced in "
                                     "the first epoch")
                if not logs:  # the input ran out of data (an exhausted generator): stop
                    break
                trainer.sync()
                epoch_logs = callbacks_mod.logs_to_floats(self._epoch_logs(logs))
                if val_data is not None and (epoch + 1) % validation_freq == 0 if isinstance(validation_freq, int) else (epoch + 1) in validation_freq:
                    # the callbacks' test hooks run (Keras: SwapEMAWeights swaps here);
                    # History and the progress bar stay out of it
                    val_logs = self._evaluate_adapter(val_data, framework, callbacks=cbs.shared(
                        (callbacks_mod.History, callbacks_mod.ProgbarLogger)))
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        if self.optimizer is not None:  # use_ema: the averages (a no-op without)
            self.optimizer.finalize_variable_values(self.trainable_variables)
        cbs.on_train_end(epoch_logs)
        return self.history

    def _epoch_logs(self, logs):
        if not logs or logs is DEFERRED_LOGS:
            return self.get_metrics_result()
        return logs

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        self._assert_compiled("evaluate")
        data = get_adapter(x, y, sample_weight, batch_size=batch_size, shuffle=False, steps=steps)
        labels_checked = self._check_sparse_labels(data)
        data.host_framework = self._host_target()
        logs = self._evaluate_adapter(data, data.target_framework, callbacks, labels_checked)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def _check_sparse_labels(self, data):
        """Array data of a single-output model compiled with a sparse categorical loss:
        the labels are checked once, before the (possibly traced) steps, where reading
        them is free (host data, eager CPU arrays), so an out-of-range label is the same
        ValueError on every framework; traced steps on other data give NaN losses.
        True when every label was read and is valid (the eager steps then skip the
        per-step check)."""
        from .losses import SparseCategoricalCrossentropy, sparse_label_check
        from .losses import sparse_categorical_crossentropy as scce

        y, spec = getattr(data, "y", None), self._user_loss
        if y is None or not hasattr(y, "shape") or isinstance(spec, (list, tuple, dict)):
            return False
        if isinstance(spec, SparseCategoricalCrossentropy):
            kwargs = spec._fn_kwargs
        elif spec in ("sparse_categorical_crossentropy", scce):
            kwargs = {}
        else:
            return False
        outputs = getattr(self, "outputs", None) or []
        shape = getattr(outputs[0], "shape", None) if len(outputs) == 1 else None
        if shape is None:
            spec_out = getattr(self, "_output_spec", None)
            shape = getattr(spec_out, "shape", None)
        axis = kwargs.get("axis", -1)
        n = shape[axis] if shape is not None and len(shape) else None
        if not isinstance(n, int):
            return False
        return sparse_label_check("sparse_categorical_crossentropy", None, y, n,
                                  kwargs.get("ignore_class")) is None

    def _evaluate_adapter(self, data, framework, callbacks, labels_checked=False):
        cbs = (callbacks if isinstance(callbacks, callbacks_mod.CallbackList) else
               callbacks_mod.CallbackList(callbacks, model=self, steps=data.num_batches()))
        for m in self.metrics:
            m.reset_state()
        trainer = None
        logs = {}
        cbs.on_test_begin()
        spe = max(1, int(self.steps_per_execution))
        with framework_scope(framework):
            keep = _takes_host_batches(self, framework, data)
            for begin, end, batches in _execution_groups(data.epoch(), spe):
                batches = [to_framework_batch(b, framework, keep) for b in batches]
                if trainer is None:
                    self._prepare(framework, to_framework_batch(batches[0], framework),
                                  training=False)
                    trainer = self._trainer(framework)
                    skip_label_check = (labels_checked and getattr(trainer, "eager_steps", False)
                                        and type(self).test_step is Model.test_step)
                cbs.on_test_batch_begin(begin)
                LABELS_CHECKED.on = skip_label_check
                try:
                    logs = callbacks_mod.flatten_logs(
                        trainer.test_step(batches[0]) if spe == 1 else trainer.test_steps(batches))
                finally:
                    LABELS_CHECKED.on = False
                cbs.on_test_batch_end(end, logs)
        if trainer is None:
            raise ValueError("evaluate() received an empty dataset")
        trainer.sync(metrics_only=True)
        logs = callbacks_mod.logs_to_floats(logs)
        cbs.on_test_end(logs)
        return logs

    # ------------------------------------------------------------------ predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Predictions for ``x``: arrays of the input's framework for framework inputs,
        NumPy arrays for NumPy/pandas/list inputs (as Keras returns)."""
        data = get_adapter(x, None, None, batch_size=batch_size, shuffle=False, steps=steps)
        data.host_framework = self._host_target()
        framework = data.target_framework
        host_input = data.framework is None
        cbs = callbacks_mod.CallbackList(callbacks, model=self, steps=data.num_batches())
        outputs = []
        cbs.on_predict_begin()
        trainer = None
        spe = max(1, int(self.steps_per_execution))
        with framework_scope(framework):
            # k batches per call (steps_per_execution), the callbacks called once per group with
            # the group's outputs, as in Keras 3; k = 1 is the plain one-batch loop
            keep = _takes_host_batches(self, framework, data)
            for begin, end, batches in _execution_groups(data.epoch(), spe):
                batches = [to_framework_batch(b, framework, keep) for b in batches]
                if trainer is None:
                    x0 = unpack_x_y_sample_weight(to_framework_batch(batches[0], framework))[0]
                    if not self.built:
                        self._symbolic_build(x0, framework)
                    if self._framework != framework:
                        self._move_to(framework)
                    trainer = self._trainer(framework)
                cbs.on_predict_batch_begin(begin)
                if spe == 1:
                    out = trainer.predict_step(batches[0])
                    outputs.append(out)
                else:
                    chunks = trainer.predict_steps(batches)
                    outputs.extend(chunks)
                    # the group's outputs in one array, only when a callback will see them
                    out = _concat_outputs(chunks, to_host=False) if cbs.callbacks else None
                cbs.on_predict_batch_end(end, {"outputs": out})
        if not outputs:
            raise ValueError("predict() received an empty dataset")
        cbs.on_predict_end()
        return _concat_outputs(outputs, to_host=host_input)

    # ------------------------------------------------------------------ on_batch
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        batch = _one_batch(x, y, sample_weight, class_weight)
        framework = _batch_framework(batch, self._host_target())
        batch = to_framework_batch(batch, framework)
        trainer = self._trainer(framework, training=True)
        self._prepare(framework, batch, training=True)
        self.reset_metrics()
        with framework_scope(framework):
            logs = callbacks_mod.logs_to_floats(trainer.train_step(batch))
        trainer.sync()
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        batch = _one_batch(x, y, sample_weight, None)
        framework = _batch_framework(batch, self._host_target())
        batch = to_framework_batch(batch, framework)
        self._prepare(framework, batch, training=False)
        trainer = self._trainer(framework)
        self.reset_metrics()
        with framework_scope(framework):
            logs = callbacks_mod.logs_to_floats(trainer.test_step(batch))
        trainer.sync(metrics_only=True)
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        framework = _batch_framework((x,), self._host_target())
        host = all(framework_of(a) in (None, "numpy") for a in _leaves(x))
        (x,) = to_framework_batch((x,), framework)
        out = self(x, training=False)
        return _concat_outputs([out], to_host=host)

    # ------------------------------------------------------------------ state tree
    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts by path (Keras 3): ``{"trainable_variables":
        {"sequential": {"dense": {"kernel": ..., "bias": ...}}}, "non_trainable_variables":
        ..., "optimizer_variables": ..., "metrics_variables": ...}``. ``value_format``:
        ``"backend_tensor"`` (the variables' arrays, a sharded ``jax.Array`` as it is) or
        ``"numpy_array"``."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(
                "Invalid `value_format` argument. Expected one of "
                "{'numpy_array', 'backend_tensor'}. Received: "
                f"value_format={value_format}")
        out = {}
        for group, variables in self._state_groups().items():
            flat = {}
            for v in variables:
                if v.path in flat:
                    raise ValueError(
                        "The following variable path is found twice in the model: "
                        f"'{v.path}'. `get_state_tree()` can only be called when all "
                        "variable paths are unique. Make sure to give unique names to "
                        "your layers (and other objects).")
                flat[v.path] = v.value if value_format == "backend_tensor" else v.numpy()
            nested = {}
            for path, value in flat.items():
                *parents, leaf = path.split("/")
                node = nested
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = value
            out[group] = nested
        return out

    def _state_groups(self):
        """The state tree's groups: ``{group name: its variables}``."""
        opt = self.optimizer
        return {
            "trainable_variables": self.trainable_variables,
            "non_trainable_variables": self.non_trainable_variables,
            "optimizer_variables": opt.variables if opt is not None else [],
            "metrics_variables": self.metrics_variables,
        }

    def set_state_tree(self, state_tree):
        """Assign the values of a state tree (``get_state_tree``'s form; any subset of
        its groups) to the variables at the same paths."""
        groups = self._state_groups()
        for group, tree in state_tree.items():
            if group not in groups:
                raise ValueError(f"Unknown variable name: {group}")
            flat = {}

            def walk(node, prefix):
                for k, v in node.items():
                    if isinstance(v, dict):
                        walk(v, f"{prefix}{k}/")
                    else:
                        flat[f"{prefix}{k}"] = v

            walk(tree, "")
            for v in groups[group]:
                if v.path in flat:
                    v.assign(flat[v.path])

    # ------------------------------------------------------------------ saving
    def save_weights(self, filepath, overwrite=True):
        """Write the weights to ``*.weights.h5`` (Keras 3's layout; unikeras.saving)."""
        from ..saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from ``*.weights.h5``, a ``.keras`` file or an Orbax checkpoint
        directory (``keras.callbacks.OrbaxCheckpoint``'s; unikeras.saving)."""
        from ..saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the whole model to a ``.keras`` file (unikeras.saving.save_model)."""
        from ..saving import save_model

        save_model(self, filepath, overwrite=overwrite)

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """Export the model for inference (Keras 3.15's signature): ``"tf_saved_model"``,
        ``"onnx"``, ``"torch"`` (a ``torch.export`` program, ``.pt2``), ``"jax"`` (a
        serialized ``jax.export.Exported``) or ``"litert"`` (``.tflite``), from a model
        trained on any framework.
        See unikeras.export and docs/serving.md."""
        from ..export import export_model

        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)

    def _maybe_build(self, args):
        # A subclassed model remembers what its first call took: export's input signature.
        if not self.built and "_export_call_args" not in self.__dict__:
            from ..export._common import record_call_args

            self.__dict__["_export_call_args"] = record_call_args(args)
        super()._maybe_build(args)

    def to_json(self, **kwargs):
        """The model's architecture (no weights) as a JSON string, for
        ``keras.models.model_from_json``; ``kwargs`` go to ``json.dumps``."""
        import json

        from ..saving.keras_file import _json_default, model_config

        spec = {k: v for k, v in model_config(self).items() if k != "compile_config"}
        return json.dumps(spec, default=_json_default, **kwargs)

    # ------------------------------------------------------------------ summary
    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Keras 3's ``Model.quantize(mode, config=None, filters=None)``: quantize every
        leaf layer that implements ``quantize`` (others are skipped with a warning, as in
        Keras); ``filters``: a regex, a list of regexes (matched against layer names), or
        a callable ``layer -> bool``. The model must be built."""
        import re
        import warnings

        type_check = kwargs.pop("type_check", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to "
                             f"{type(self).__name__}: {kwargs}")
        if filters is not None and not isinstance(filters, (str, list, tuple)) \
                and not callable(filters):
            raise ValueError("The `filters` argument must be a regex string, a list of regex "
                             f"strings, or a callable. Received: {type(filters)}")
        if not self.built:
            raise ValueError("Cannot quantize a model that isn't yet built. Build it (call "
                             "it on data or give it an Input) first.")
        from ..quantizers import validate_and_resolve_config

        config = validate_and_resolve_config(mode, config)
        mode = config.mode

        def wanted(layer):
            if filters is None:
                return True
            if callable(filters) and not isinstance(filters, str):
                return bool(filters(layer))
            pats = [filters] if isinstance(filters, str) else list(filters)
            return any(re.search(p, layer.name) for p in pats)

        calibrated = (mode if mode is not None else getattr(config, "mode", None)) \
            in ("gptq", "awq")
        if calibrated:
            from ..layers.quantize_gptq import resolve_weight_only_config

            mode, config = resolve_weight_only_config(mode, config)
        for layer in self._iter_layers():
            if layer is self or layer._layers or not wanted(layer):
                continue
            try:
                layer.quantize(mode, type_check=type_check, config=config)
            except NotImplementedError as e:
                warnings.warn(str(e), stacklevel=2)
            except AttributeError:
                pass
        if calibrated:  # GPTQ / AWQ: calibrate block by block (unikeras/quantization/)
            from ..quantization import quantize_model

            quantize_model(self, mode, config, filters=filters)

    def get_quantization_layer_structure(self, mode=None):
        """Keras 3's hook for ``quantize("gptq" | "awq")``: ``{"pre_block_layers": [...],
        "sequential_blocks": [...]}`` (the layers the calibration tokens go through
        first, then the blocks quantized one after the other), or None (the default: the
        config's ``quantization_layer_structure`` must give it)."""
        del mode
        return None

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        from .summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn,
                      show_trainable=show_trainable)

    @_default  # a subclassed model gets the automatic config, as in Keras
    def get_config(self):
        return super().get_config()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "input_layers" in config and "output_layers" in config:
            from .functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return cls(**config)


class _InferenceTrainer:
    """Steps for a framework with no training shim (NumPy, array-API libraries): eager
    evaluate and predict."""

    def __init__(self, model, framework):
        self.model = model

    def test_step(self, batch):
        return self.model.test_step(batch)

    def test_steps(self, batches):
        for b in batches:
            logs = self.model.test_step(b)
        return logs

    def predict_step(self, batch):
        return self.model.predict_step(batch)

    def predict_steps(self, batches):
        return [self.model.predict_step(b) for b in batches]

    def sync(self, metrics_only=False):
        pass


def _takes_host_batches(model, framework, data):
    """Whether ``framework``'s steps for ``model`` take NumPy batches as they are (jax's
    jitted steps); if so, tell ``data`` to cut host-memory arrays on the host."""
    mod = shim(framework, "training")
    keep = bool(mod is not None and getattr(mod, "takes_host_batches", None)
                and mod.takes_host_batches(model))
    data.host_batches = keep
    return keep


def _execution_groups(batches, k):
    """``(first_step, last_step, [batch, ...])`` for each run of up to ``k`` consecutive
    batches (``steps_per_execution``); the last group of an epoch may be shorter."""
    group, begin = [], 0
    for step, batch in enumerate(batches):
        group.append(batch)
        if len(group) == k:
            yield begin, step, group
            group, begin = [], step + 1
    if group:
        yield begin, begin + len(group) - 1, group


def _small(a):
    return host_floatx(np.asarray(a)[:1])


def _as_outputs(y_pred):
    if isinstance(y_pred, (list, tuple)):
        return list(y_pred)
    if isinstance(y_pred, dict):
        return list(y_pred.values())
    return [y_pred]


def _val_adapter(validation_data, batch_size, steps):
    if isinstance(validation_data, tuple) and len(validation_data) in (2, 3):
        vx, vy = validation_data[0], validation_data[1]
        vsw = validation_data[2] if len(validation_data) == 3 else None
        return get_adapter(vx, vy, vsw, batch_size=batch_size, shuffle=False, steps=steps)
    return get_adapter(validation_data, None, None, batch_size=batch_size, shuffle=False, steps=steps)


def _one_batch(x, y, sample_weight, class_weight):
    from .data import ArrayAdapter

    if class_weight is not None:
        ad = ArrayAdapter(x, y, sample_weight, batch_size=len(_leaves(x)[0]), class_weight=class_weight)
        return next(iter(ad.epoch()))
    batch = (x,) if y is None else ((x, y) if sample_weight is None else (x, y, sample_weight))
    return batch


def _batch_framework(batch, host_framework):
    fws = {framework_of(a) for a in _leaves(batch)} - {None, "numpy"}
    if len(fws) > 1:
        raise TypeError(f"The batch holds arrays of several frameworks: {sorted(fws)}")
    return fws.pop() if fws else host_framework




def _concat_outputs(outputs, to_host):
    first = outputs[0]
    if isinstance(first, (list, tuple)):
        return type(first)(_concat_outputs([o[i] for o in outputs], to_host) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _concat_outputs([o[k] for o in outputs], to_host) for k in first}
    if to_host:
        return np.concatenate([to_numpy(o) for o in outputs], axis=0)
    return concat_rows(outputs)
