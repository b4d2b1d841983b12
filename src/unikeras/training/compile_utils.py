"""What ``compile`` builds: the loss of (possibly several) outputs and their metrics."""

from __future__ import annotations

from .. import xp as _xp
from ..state.tree import bump_structure_version
from . import losses as losses_mod
from . import metrics as metrics_mod
from .metrics.accuracy import BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy


def _flatten_struct(obj, names=None):
    """Flatten y / y_pred nests to a list in output order."""
    if isinstance(obj, dict):
        if names is not None:
            missing = [n for n in names if n not in obj]
            if missing:
                raise ValueError(f"Expected a dict with keys {names}; missing {missing}")
            return [obj[n] for n in names]
        return list(obj.values())
    if isinstance(obj, (list, tuple)):
        return list(obj)
    return [obj]


class CompileLoss:
    def __init__(self, loss, loss_weights=None, output_names=None):
        self._spec = loss
        self.loss_weights = loss_weights
        self.output_names = output_names
        self._built = False

    def build(self, y_true, y_pred):
        n = len(_flatten_struct(y_pred))
        spec = self._spec
        names = self.output_names or [f"output_{i}" for i in range(n)]
        if isinstance(spec, dict):
            self.losses = [losses_mod.get(spec.get(nm)) for nm in names]
        elif isinstance(spec, (list, tuple)):
            if len(spec) != n:
                raise ValueError(f"compile(loss=...) got {len(spec)} losses for a model with "
                                 f"{n} outputs")
            self.losses = [losses_mod.get(s) for s in spec]
        else:
            self.losses = [losses_mod.get(spec)] * n
        w = self.loss_weights
        if isinstance(w, dict):
            self.weights = [w.get(nm, 1.0) for nm in names]
        elif isinstance(w, (list, tuple)):
            self.weights = list(w)
        else:
            self.weights = [1.0 if w is None else float(w)] * n
        self._names = names
        # Keras 3 tracks each output's unweighted loss as "<output name>_loss" when more
        # than one output has a loss
        self.metrics = []
        self._trackers = [None] * n
        if sum(loss is not None for loss in self.losses) > 1:
            for i, (nm, loss) in enumerate(zip(names, self.losses)):
                if loss is not None:
                    self._trackers[i] = metrics_mod.Mean(name=f"{nm}_loss")
                    self.metrics.append(self._trackers[i])
        self._built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        if not self._built:
            self.build(y_true, y_pred)
        names = self._names if isinstance(y_true, dict) else None
        ys = _flatten_struct(y_true, names)
        ps = _flatten_struct(y_pred)
        if len(ys) != len(ps):
            raise ValueError(f"The model has {len(ps)} outputs but y holds {len(ys)} targets")
        sws = _flatten_struct(sample_weight) if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(ps)
        total = None
        for loss, w, yt, yp, sw, tracker in zip(self.losses, self.weights, ys, ps, sws,
                                                self._trackers):
            if loss is None or yt is None:
                continue
            if isinstance(loss, losses_mod.Loss):
                value = loss(yt, yp, sample_weight=sw)
            else:
                value = losses_mod.reduce_weighted_values(loss(yt, yp), sw)
            if tracker is not None:
                tracker.update_state(value, sample_weight=yp.shape[0])
            value = value * w if w != 1.0 else value
            total = value if total is None else total + value
        return total


_ACC_NAMES = ("accuracy", "acc")


class CompileMetrics(metrics_mod.Metric):
    """compile(metrics=..., weighted_metrics=...): per-output metric objects. The
    strings "accuracy"/"acc" resolve to binary, categorical or sparse categorical
    accuracy from the loss and shapes, as Keras does.

    As in Keras 3 it is itself a Metric named "compile_metrics" in ``model.metrics``:
    its variables are those of every compiled metric, ``result()`` is the dict of their
    results, so a JAX ``test_step(state, data)`` that walks ``self.metrics`` with
    ``stateless_update_state`` / ``stateless_result`` gets the dict of logs Keras gives."""

    def __init__(self, metrics, weighted_metrics, output_names=None, loss=None):
        super().__init__(name="compile_metrics")
        self._metrics_spec = metrics
        self._weighted_spec = weighted_metrics
        self.output_names = output_names
        self._loss_spec = loss
        self.built = False
        self.metrics = []       # list (per output) of lists of Metric
        self.weighted = []

    def _resolve(self, m, y_true, y_pred, loss):
        if isinstance(m, str) and m in _ACC_NAMES + ("crossentropy", "ce"):
            lname = getattr(loss, "__name__", None) or getattr(loss, "name", None) or str(loss)
            if m in _ACC_NAMES:
                if "binary" in str(lname) or (y_pred.shape[-1] == 1 if len(y_pred.shape) else True):
                    return BinaryAccuracy(name="accuracy" if m == "accuracy" else "acc")
                if "sparse" in str(lname) or len(getattr(y_true, "shape", ())) < len(y_pred.shape) or (
                        len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1):
                    return SparseCategoricalAccuracy(name=m)
                return CategoricalAccuracy(name=m)
        return metrics_mod.get(m)

    def _per_output(self, spec, n, names):
        if spec is None:
            return [[] for _ in range(n)]
        if isinstance(spec, dict):
            return [list(_as_list(spec.get(nm))) for nm in names]
        spec = list(spec) if isinstance(spec, (list, tuple)) else [spec]
        if n > 1 and len(spec) == n and all(isinstance(s, (list, tuple)) or s is None for s in spec):
            return [list(_as_list(s)) for s in spec]
        return [list(spec) for _ in range(n)]

    def build(self, y_true, y_pred, losses):
        ps = _flatten_struct(y_pred)
        n = len(ps)
        names = self.output_names or [f"output_{i}" for i in range(n)]
        ys = _flatten_struct(y_true, names if isinstance(y_true, dict) else None)
        specs = self._per_output(self._metrics_spec, n, names)
        wspecs = self._per_output(self._weighted_spec, n, names)
        self.metrics = [[self._resolve(m, yt, yp, l) for m in ms]
                        for ms, yt, yp, l in zip(specs, ys, ps, losses)]
        self.weighted = [[self._resolve(m, yt, yp, l) for m in ms]
                         for ms, yt, yp, l in zip(wspecs, ys, ps, losses)]
        # Metrics whose variables are shaped by the data (F1Score, R2Score, multi-label
        # AUC) create them now, eagerly, not inside a traced train step.
        for group in (self.metrics, self.weighted):
            for ms, yt, yp in zip(group, ys, ps):
                for m in ms:
                    hook = getattr(m, "_build_for_shapes", None)
                    if hook is not None and yt is not None:
                        hook(tuple(yt.shape), tuple(yp.shape))
        if n > 1:
            for nm, ms in zip(names, self.metrics):
                for m in ms:
                    m.name = f"{nm}_{m.name}"
            for nm, ms in zip(names, self.weighted):
                for m in ms:
                    m.name = f"{nm}_weighted_{m.name}" if not m.name.startswith(nm) else m.name
        else:
            for ms in self.weighted:
                for m in ms:
                    if any(m.name == o.name for o in self.metrics[0]):
                        m.name = f"weighted_{m.name}"
        self._names = names
        self.built = True
        bump_structure_version()  # the container's variables are the new metrics'

    def update_state(self, y_true, y_pred, sample_weight=None):
        names = self._names if isinstance(y_true, dict) else None
        ys = _flatten_struct(y_true, names)
        ps = _flatten_struct(y_pred)
        sws = _flatten_struct(sample_weight) if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(ps)
        for ms, ws, yt, yp, sw in zip(self.metrics, self.weighted, ys, ps, sws):
            for m in ms:
                m.update_state(yt, yp)
            for m in ws:
                m.update_state(yt, yp, sample_weight=sw)

    def all(self):
        return [m for ms in self.metrics for m in ms] + [m for ms in self.weighted for m in ms]

    # ---- the Metric API over the compiled metrics
    def _children(self):
        return self.all()

    def result(self):
        out = {}
        for m in self.all():
            r = m.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return out

    def reset_state(self):
        for m in self.all():
            m.reset_state()

    def get_config(self):
        raise NotImplementedError("compile_metrics is built by compile(); it has no config")


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return x
    return [x]
