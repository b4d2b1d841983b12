"""Keras' ``keras.distillation``: train a student model to match a frozen teacher.

``Distiller(teacher, student, distillation_losses, distillation_loss_weights=None,
student_loss_weight=0.5)`` is a Model whose call is the student's; its loss is

    student_loss_weight * student_loss(y, student(x))
      + (1 - student_loss_weight) * sum_i weight_i * distillation_loss_i(teacher, student)

with the teacher frozen (``trainable = False``) and run with ``training=False``. The
distillation losses are ``LogitsDistillation`` (temperature-scaled outputs; a
``KLDivergence`` instance compares softmax probabilities and is scaled by T^2, as in
Hinton et al.) and ``FeatureDistillation`` (intermediate layers, read through one
feature-extractor Functional model per network sharing its layers). The numbers are
Keras 3.15's, on every framework: the loss is ordinary ops on the step's arrays, so the
jax, torch and tensorflow train steps differentiate it like any other ``compute_loss``.
"""

from __future__ import annotations

from . import losses as _losses
from . import ops
from . import tree
from .training.metrics import Mean
from .training.model import Model
from .utils.serialization import (deserialize_keras_object, register,
                                  serialize_keras_object)


def _as_loss(item):
    if item is None:
        return None
    if isinstance(item, str):
        return _losses.get(item)
    return item


def _loss_structure(loss, owner):
    loss = tree.map_structure(_as_loss, loss)
    if all(l is None for l in tree.flatten(loss)):
        raise ValueError(f"{owner}: the `loss` argument must contain at least one "
                         f"non-None loss; received {loss!r}")
    return loss


def _scalar_sum(values):
    flat = [v for v in tree.flatten(values)]
    return ops.sum(ops.stack([ops.convert_to_tensor(v, dtype="float32")
                              if isinstance(v, float) else v for v in flat]))


class DistillationLoss:
    """Base class of distillation losses: override ``compute_loss(teacher_outputs,
    student_outputs, **kwargs)`` (a scalar)."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} must implement compute_loss(teacher_outputs, "
            "student_outputs)")

    def validate_outputs(self, teacher_outputs, student_outputs):
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        pass


@register
class FeatureDistillation(DistillationLoss):
    """Keras' ``FeatureDistillation(loss="mse", teacher_layer_name=None,
    student_layer_name=None)``: ``mean(loss(teacher_features, student_features))``
    summed over a nested structure of losses (None skips an output)."""

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = _loss_structure(loss, "FeatureDistillation")

    def validate_model_compatibility(self, teacher, student):
        if self.teacher_layer_name is None and self.student_layer_name is None:
            return
        missing = [role for role, m in (("teacher", teacher), ("student", student))
                   if getattr(m, "inputs", None) is None]
        if missing:
            raise ValueError(
                "FeatureDistillation with layer names needs Functional or Sequential "
                f"models (symbolic inputs and outputs); the {' and '.join(missing)} "
                "model(s) are subclassed. Distill the final outputs (no layer names) or "
                "use LogitsDistillation.")
        for role, model, name in (("teacher", teacher, self.teacher_layer_name),
                                  ("student", student, self.student_layer_name)):
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as e:
                    raise ValueError(f"In {role} model: {e}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(
                f"FeatureDistillation: the loss structure {tree.structure(self.loss)} "
                f"does not match the output structure {tree.structure(teacher_outputs)}: "
                f"{e}") from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        def one(loss_fn, t, s):
            return 0.0 if loss_fn is None else ops.mean(loss_fn(t, s))

        return _scalar_sum(tree.map_structure(one, self.loss, teacher_outputs,
                                              student_outputs))

    def get_config(self):
        return {"loss": tree.map_structure(_losses.serialize, self.loss),
                "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = tree.map_structure(_losses.deserialize, config["loss"])
        return cls(**config)


@register
class LogitsDistillation(DistillationLoss):
    """Keras' ``LogitsDistillation(temperature=3.0, loss="kl_divergence")``: both
    outputs divided by the temperature; a ``KLDivergence`` *instance* compares their
    softmax probabilities and is multiplied by temperature^2, any other loss (the
    ``"kl_divergence"`` string resolves to the function, as in Keras) compares the scaled
    logits directly."""

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError("LogitsDistillation: temperature must be a number; received "
                             f"{temperature!r} of type {type(temperature).__name__}")
        if temperature <= 0:
            raise ValueError("LogitsDistillation: temperature must be positive; received "
                             f"{temperature}")
        self.temperature = temperature
        self.loss = _loss_structure(loss, "LogitsDistillation")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        t_scaled = tree.map_structure(lambda v: v / self.temperature, teacher_outputs)
        s_scaled = tree.map_structure(lambda v: v / self.temperature, student_outputs)

        def one(loss_fn, t, s):
            if loss_fn is None:
                return 0.0
            if isinstance(loss_fn, _losses.KLDivergence):
                value = ops.mean(loss_fn(ops.softmax(t, axis=-1), ops.softmax(s, axis=-1)))
                return value * (self.temperature ** 2)
            return ops.mean(loss_fn(t, s))

        return _scalar_sum(tree.map_structure(one, self.loss, t_scaled, s_scaled))

    def get_config(self):
        return {"temperature": self.temperature,
                "loss": tree.map_structure(_losses.serialize, self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = tree.map_structure(_losses.deserialize, config["loss"])
        return cls(**config)


@register
class Distiller(Model):
    """Keras' ``Distiller``: see the module docstring. ``compile(optimizer="adam",
    loss=..., metrics=None)`` takes the *student* loss (required); the logs add
    ``student_loss``, ``distillation_loss`` and ``total_loss`` trackers."""

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        for role, m in (("Teacher", teacher), ("Student", student)):
            if not isinstance(m, Model):
                raise ValueError(f"{role} must be a keras.Model; received {type(m)}")
        _check_compatible(teacher, student)
        if (isinstance(student_loss_weight, bool)
                or not isinstance(student_loss_weight, (int, float))):
            raise ValueError("student_loss_weight must be a number; received "
                             f"{type(student_loss_weight).__name__}")
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError("student_loss_weight must be between 0.0 and 1.0; received "
                             f"{student_loss_weight}")
        if distillation_losses is None:
            raise ValueError("'distillation_losses' cannot be None: give a distillation "
                             "loss (LogitsDistillation, FeatureDistillation) or a list")
        if not isinstance(distillation_losses, (list, tuple)):
            distillation_losses, distillation_loss_weights = [distillation_losses], [1.0]
        elif distillation_loss_weights is None:
            distillation_loss_weights = [1.0] * len(distillation_losses)
        elif len(distillation_loss_weights) != len(distillation_losses):
            raise ValueError(
                f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) "
                f"must match number of distillation_losses ({len(distillation_losses)})")
        self.teacher = teacher
        self.student = student
        self.student_loss_weight = student_loss_weight
        self.distillation_losses = list(distillation_losses)
        self.distillation_loss_weights = list(distillation_loss_weights)
        for d in self.distillation_losses:
            d.validate_model_compatibility(teacher, student)
        # Feature extractors share the networks' layers: kept out of layer tracking so
        # the variables are the teacher's and student's own, listed once.
        self.__dict__["_extractors"] = (
            _extractor(teacher, [d.teacher_layer_name for d in self.distillation_losses
                                 if getattr(d, "teacher_layer_name", None)]),
            _extractor(student, [d.student_layer_name for d in self.distillation_losses
                                 if getattr(d, "student_layer_name", None)]))
        self.teacher.trainable = False
        self.student_loss_tracker = Mean(name="student_loss")
        self.distillation_loss_tracker = Mean(name="distillation_loss")
        self.total_loss_tracker = Mean(name="total_loss")

    @property
    def metrics(self):
        return super().metrics + [self.student_loss_tracker,
                                  self.distillation_loss_tracker, self.total_loss_tracker]

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        if loss is None:
            raise ValueError("Distiller.compile: 'loss' (the student's loss) cannot be "
                             "None")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple; received {type(metrics)}")
        self.__dict__["_student_loss"] = tree.map_structure(_as_loss, loss)
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None, **kwargs):
        return self.student(inputs, training=training, **kwargs)

    def _features(self, which, x, y_pred):
        """``{"final_output": ..., <layer name>: ...}`` of the teacher (which=0, run in
        inference mode) or the student (which=1, training mode)."""
        extractor = self._extractors[which]
        if which == 0:
            if extractor is not None:
                return extractor(x, training=False)
            return {"final_output": self.teacher(x, training=False)}
        if extractor is not None:
            return extractor(x, training=True)
        return {"final_output": y_pred}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = tree.flatten(tree.map_structure(lambda l, t, p: l(t, p),
                                                     self._student_loss, y, y_pred))
            student_loss = ops.sum(ops.stack(values)) if len(values) > 1 else values[0]
            if len(getattr(student_loss, "shape", ())):
                student_loss = ops.mean(student_loss)
        distillation = 0.0
        if self.student_loss_weight < 1.0:
            teacher_f = self._features(0, x, y_pred)
            student_f = self._features(1, x, y_pred)
            for fn, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                if getattr(fn, "teacher_layer_name", None) is not None:
                    t_out = teacher_f[fn.teacher_layer_name]
                    s_out = student_f[fn.student_layer_name or "final_output"]
                else:
                    t_out, s_out = teacher_f["final_output"], y_pred
                fn.validate_outputs(t_out, s_out)
                value = fn.compute_loss(t_out, s_out)
                if len(getattr(value, "shape", ())):
                    raise ValueError(
                        f"Distillation loss {type(fn).__name__} returned a non-scalar loss "
                        f"of shape {tuple(value.shape)}; compute_loss must return a scalar")
                distillation = distillation + weight * value
        w = self.student_loss_weight
        total = w * student_loss + (1.0 - w) * distillation
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation)
        self.total_loss_tracker.update_state(total)
        return total

    def reset_metrics(self):
        super().reset_metrics()
        for m in (self.student_loss_tracker, self.distillation_loss_tracker,
                  self.total_loss_tracker):
            m.reset_state()

    def get_config(self):
        return {"name": self.name,
                "teacher": serialize_keras_object(self.teacher),
                "student": serialize_keras_object(self.student),
                "distillation_losses": [serialize_keras_object(d)
                                        for d in self.distillation_losses],
                "distillation_loss_weights": self.distillation_loss_weights,
                "student_loss_weight": self.student_loss_weight}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("teacher", "student"):
            config[key] = deserialize_keras_object(config[key], custom_objects)
        config["distillation_losses"] = [deserialize_keras_object(d, custom_objects)
                                         for d in config["distillation_losses"]]
        return cls(**config)



def _check_compatible(teacher, student):
    """Keras' checks: symbolic inputs/outputs of equal rank, compatible dimensions and
    equal dtypes (skipped for subclassed models)."""
    for what in ("inputs", "outputs"):
        t, s = getattr(teacher, what, None), getattr(student, what, None)
        if t is None or s is None:
            continue
        for a, b in zip(tree.flatten(t), tree.flatten(s)):
            sa, sb = tuple(a.shape), tuple(b.shape)
            if len(sa) != len(sb) or any(p is not None and q is not None and p != q
                                         for p, q in zip(sa, sb)):
                raise ValueError(f"Teacher and student {what[:-1]} shapes are incompatible. "
                                 f"Teacher: {sa}, Student: {sb}. All dimensions must match.")
            if a.dtype != b.dtype:
                raise ValueError(f"Teacher and student {what[:-1]} dtypes must match. "
                                 f"Teacher: {a.dtype}, Student: {b.dtype}.")


def _extractor(model, layer_names):
    """A Functional model over ``model``'s layers giving ``{"final_output", <layer
    name>: output}``, or None without layer names."""
    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(f"Cannot create a feature extractor for {model.name}: the model "
                         "has no symbolic inputs")
    outputs = {"final_output": model.outputs[0] if len(model.outputs) == 1
               else model.outputs}
    for name in dict.fromkeys(layer_names):
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs,
                 name=f"{model.name}_multi_feature_extractor")
