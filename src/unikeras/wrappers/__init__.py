"""Keras' ``keras.wrappers``: scikit-learn estimators around a unikeras model.

``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` take ``model``,
either a compiled ``Model`` (cloned, with fresh weights, at each ``fit``) or a callable
``model(X=X, y=y, **model_kwargs)`` returning a compiled model, plus ``warm_start``,
``model_kwargs`` and ``fit_kwargs`` (passed to ``Model.fit``). The fitted model is
``model_``, its ``History.history`` ``history_``. Data is validated by scikit-learn
(``validate_data``: NumPy float arrays, ``n_features_in_``); the model runs on the
default framework. The classifier one-hot encodes the labels (``classes_``) and returns
the labels of the largest outputs; 1-D targets come back 1-D.

Needs scikit-learn (>= 1.6 for ``validate_data``, else the estimator's own
``_validate_data``).
"""

from __future__ import annotations

import copy

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the classes exist; making one says what to install
    sklearn = None

    class BaseEstimator:  # noqa: D101
        pass

    ClassifierMixin = RegressorMixin = TransformerMixin = BaseEstimator

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def _validate(estimator, *args, **kwargs):
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


def _target_type(y):
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return kind


class _TargetReshaper(TransformerMixin, BaseEstimator):
    """1-D targets as a column for the model; predictions back to 1-D."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        if self.ndim_ == 1 and y.ndim == 2:
            return np.squeeze(y, axis=1)
        return y


class _SKLBase(BaseEstimator):
    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        if sklearn is None:
            raise ImportError(f"{type(self).__name__} requires `scikit-learn` to be "
                              "installed. Run `pip install scikit-learn` to install it.")
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        # a model instance is deep-copied, a builder function shared
        model = self.model if callable(self.model) and not _is_model(self.model) \
            else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs, fit_kwargs=self.fit_kwargs)

    @property
    def epoch_(self):
        return getattr(self, "history_", {}).get("epoch", 0)

    def set_fit_request(self, **kwargs):
        """scikit-learn metadata routing: which ``fit`` arguments (``sample_weight``)
        this estimator asks for (needs ``sklearn.set_config(enable_metadata_routing=
        True)``)."""
        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError("This method is only available when metadata routing is "
                               "enabled. You can enable it using "
                               "sklearn.set_config(enable_metadata_routing=True).")
        from sklearn.utils.metadata_routing import MetadataRequest

        self._metadata_request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            self._metadata_request.score.add_request(param=param, alias=alias)
        return self

    def _get_model(self, X, y):
        if _is_model(self.model):
            from ..models import clone_model

            model = clone_model(self.model)
            original = self.model
            if getattr(original, "optimizer", None) is not None and original.compiled:
                model.compile(**_compile_args(original))
            return model
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fit a fresh model (or, with ``warm_start``, keep training ``model_``) on
        ``X`` and ``y``; ``kwargs`` go to ``Model.fit`` after ``fit_kwargs``."""
        X, y = _validate(self, X, y)
        y = self._process_target(y, reset=True)
        if self.warm_start and hasattr(self, "model_"):
            model = self.model_
        else:
            model = self._get_model(X, y)
        if not model.compiled or getattr(model, "loss", None) is None \
                or getattr(model, "optimizer", None) is None:
            raise RuntimeError("Given model needs to be compiled, and have a loss and an "
                               "optimizer.")
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        fit_kwargs.setdefault("verbose", 0)
        self.history_ = model.fit(X, y, **fit_kwargs).history
        self.model_ = model
        return self

    def _predict_raw(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def predict(self, X):
        """The model's predictions for ``X``, in the target's form."""
        return self._reverse_process_target(self._predict_raw(X))

    def _process_target(self, y, reset=False):
        _target_type(y)
        if reset:
            self._target_encoder = _TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


def _is_model(obj):
    from ..models import Model

    return isinstance(obj, Model)


def _compile_args(model):
    args = {"optimizer": type(model.optimizer).from_config(model.optimizer.get_config()),
            "loss": model.loss}
    metrics = getattr(model, "_compile_metrics_arg", None)
    if metrics:
        args["metrics"] = metrics
    return args


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    """Keras' ``SKLearnClassifier(model, warm_start=False, model_kwargs=None,
    fit_kwargs=None)``: binary and multiclass labels, one-hot encoded for the model
    (``classes_``: the sorted labels); ``predict`` gives the label of the largest output,
    ``decision_function`` the raw outputs."""

    def decision_function(self, X):
        return self._predict_raw(X)

    def _process_target(self, y, reset=False):
        kind = _target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError("Only binary and multiclass target types are supported. "
                             f"Target type: {kind}")
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(
                _TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def _more_tags(self):
        return {"non_deterministic": True, "poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, _SKLBase):
    """Keras' ``SKLearnRegressor(model, warm_start=False, model_kwargs=None,
    fit_kwargs=None)``: 1-D targets are fitted as one column and predicted back 1-D."""

    def _more_tags(self):
        return {"non_deterministic": True, "poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLBase):
    """Keras' ``SKLearnTransformer(model, warm_start=False, model_kwargs=None,
    fit_kwargs=None)``: ``transform(X)`` is the model's output (an embedding, say); a
    scikit-learn transformer, not an attention model."""

    def transform(self, X):
        return self._predict_raw(X)

    def _more_tags(self):
        return {"non_deterministic": True, "preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
