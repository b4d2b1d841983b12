"""The distillation case shared by the Keras reference script and the unikeras test:
the same models, weights and data, built with the Keras 3 API of module ``k``."""

import numpy as np


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 6)).astype("float32"), rng.integers(0, 3, 16)


def _net(k, name, width):
    i = k.Input((6,))
    h = k.layers.Dense(width, activation="relu", name="hidden")(i)
    return k.Model(i, k.layers.Dense(3, name="logits")(h), name=name)


def build(k):
    rng = np.random.default_rng(1)
    teacher, student = _net(k, "teacher", 8), _net(k, "student", 8)
    for m in (teacher, student):
        m.set_weights([rng.uniform(-0.5, 0.5, w.shape).astype("float32")
                       for w in m.get_weights()])
    d = k.distillation
    distiller = d.Distiller(
        teacher, student,
        [d.LogitsDistillation(temperature=2.0, loss=k.losses.KLDivergence()),
         d.FeatureDistillation(loss="mse", teacher_layer_name="hidden",
                               student_layer_name="hidden"),
         d.LogitsDistillation(temperature=3.0)],  # "kl_divergence": the function, on logits
        distillation_loss_weights=[1.0, 0.5, 0.25], student_loss_weight=0.3)
    distiller.compile(optimizer=k.optimizers.SGD(0.1),
                      loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
    return distiller
