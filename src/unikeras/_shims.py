"""The shim contract: every place where framework code lives, and what each framework's
file there must and may provide. One table, read by ``unikeras.xp.shim`` (which loads
the files), by the tests (``tests/core/test_structure.py`` checks every installed
framework's files against it) and by docs/developing.md ("Adding a framework").

Generic code never imports a framework. Where it needs one, it calls
``unikeras.xp.shim(framework, area)``, which imports the module
``unikeras.<area>.<framework>`` (a file ``<framework>.py``, or a folder of that name)
the first time it is asked for, or returns None when the framework has no file there.
Generic code then uses the names below: a *required* name is called unconditionally; an
*optional* name is a fast path or a framework-only feature that generic code looks up
with ``getattr(mod, name, None)`` and replaces by its own Array API version (or a clear
error) when absent.

This module imports nothing: importing it costs nothing and it can be read anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Frameworks with shim files, in the order the default framework is chosen from when
#: neither UNIKERAS_BACKEND nor KERAS_BACKEND names one (numpy: inference only).
FRAMEWORKS = ("jax", "torch", "tensorflow", "numpy")

#: Frameworks with autodiff: they can train (``fit``, optimizers, gradients).
TRAINABLE = ("jax", "torch", "tensorflow")

#: Top-level module names whose array types belong to each framework
#: (``xp.framework_of`` reads ``type(x).__module__``; pandas data counts as numpy).
ARRAY_MODULES = {
    "jax": ("jax", "jaxlib"),
    "torch": ("torch",),
    "tensorflow": ("tensorflow",),
    "numpy": ("numpy", "pandas"),
}

#: Modules only the files named for a framework may import (NumPy is a dependency of
#: unikeras itself and may be imported anywhere).
FRAMEWORK_IMPORTS = {
    "jax": ("jax", "jaxlib", "flax", "optax", "equinox", "orbax"),
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tf_keras", "tf2onnx"),
}


@dataclass(frozen=True)
class Area:
    """One place framework code lives: files ``unikeras/<path>/<framework>.py``."""

    name: str  # the area as passed to ``xp.shim`` (a dotted path under unikeras)
    purpose: str
    #: frameworks that must have a file here (the others may)
    required_by: tuple = ()
    #: names every file of the area defines (generic code calls them unconditionally)
    required: tuple = ()
    #: names a file may define; generic code looks them up and falls back when absent
    optional: tuple = ()
    #: for areas whose optional names are the names of generic ops (fast paths): where
    #: those ops are listed; a file may then define any of them
    fast_paths_of: str | None = None
    #: leading parameters of required functions (how generic code calls them); a file
    #: may add parameters after them if they have defaults
    signatures: dict = field(default_factory=dict)

    @property
    def allowed(self) -> frozenset:
        return frozenset(self.required) | frozenset(self.optional)


AREAS = (
    Area(
        "xp",
        "Array namespaces, dtypes, devices, conversion and seeded random numbers. "
        "unikeras.xp.<fw>: array-api-compat's namespace for jax/torch/numpy, unikeras' "
        "own for TensorFlow (xp/tensorflow/).",
        required_by=FRAMEWORKS,
        required=(
            "namespace",  # () -> the framework's Array API namespace
            "to_numpy",  # (x) -> np.ndarray (zero-copy where possible)
            "asarray",  # (value, dtype_name=None) -> array from host data
            "convert_from",  # (x, src_framework) -> array (DLPack, else host memory)
            "dtype",  # (name) -> the framework's dtype object for a Keras dtype name
            "device_of",  # (x) -> "cpu", "cuda:0", ...
            "to_device",  # (x, device) -> x on that device
            # stateless counter-based random numbers, seed = (2,) pair
            "random_normal", "random_uniform", "random_truncated_normal",
            "random_randint", "random_categorical", "random_permutation",
            "random_gamma", "random_binomial",
        ),
        optional=(
            "split",  # (x, sizes, start, indices) -> row pieces in one or two calls
            "INDEX_DTYPE",  # dtype name of gather indices (default "int64"; jax: int32)
            "device_scope",  # (kind, index) -> context manager placing new arrays
            "host_view",  # (x) -> zero-copy NumPy view of a host-resident array, or None
            "concat_rows",  # (pieces) -> predict outputs joined without a compile per shape
            "dynamic_shape",  # (x) -> shape list: static ints, scalar tensors where unknown
            "data_worker_seed",  # () -> the data-loader worker's seed (torch), or None
        ),
        signatures={
            "namespace": (), "to_numpy": ("x",), "asarray": ("value", "dtype_name"),
            "convert_from": ("x", "src"), "dtype": ("name",), "device_of": ("x",),
            "to_device": ("x", "device"),
            "random_normal": ("shape", "dtype_name", "seed"),
            "random_uniform": ("shape", "dtype_name", "seed"),
            "random_truncated_normal": ("shape", "dtype_name", "seed"),
            "random_randint": ("shape", "minval", "maxval", "dtype_name", "seed"),
            "random_categorical": ("logits", "num_samples", "dtype_name", "seed"),
            "random_permutation": ("n", "seed"),
            "random_gamma": ("shape", "alpha", "dtype_name", "seed"),
            "random_binomial": ("shape", "counts", "probabilities", "dtype_name", "seed"),
        },
    ),
    Area(
        "nn_ops",
        "Fused neural-net kernels: a function named like a unikeras.nn_ops op, with its "
        "signature, replaces the op's generic Array API version on that framework "
        "(nn_ops/_dispatch.py, resolved once per op and framework).",
        fast_paths_of="unikeras.nn_ops",
    ),
    Area(
        "ops._shims",
        "Framework calls behind keras.ops that the Array API lacks: control flow that "
        "traces (cond, while_loop, ...), autodiff (custom_gradient, jvp), scatter, "
        "segment reductions, bit casts, LU, vmap, special functions. Absent names run "
        "eagerly or on the generic version.",
        optional=(
            "cond", "while_loop", "fori_loop", "switch", "vectorized_map", "stop_gradient",
            "custom_gradient", "jvp", "einsum", "erf", "erfinv", "top_k", "index_update",
            "scatter_add", "segment_sum", "segment_max", "segment_min", "segment_prod",
            "lu_factor", "view", "adaptive_average_pool", "adaptive_max_pool",
            "cumulative_prod", "nextafter", "remat",
            # keras.ops.image fast paths (ops/image.py): (x, size, interpolation,
            # antialias, data_format) -> resized float array, or None to decline
            "resize_images", "scale_and_translate", "warp_images", "map_coordinates",
            "affine_images",
        ),
    ),
    Area(
        "state",
        "Variables: storage of a Variable's value on the framework, in-place assignment, "
        "tree registration (the module registers the pytree classes with the "
        "framework's tree system on import).",
        required_by=FRAMEWORKS,
        required=("make_variable", "assign", "raw_array", "storage_dtype", "read_value"),
        optional=(
            "assign_add",  # in-place add (torch)
            "to_tensor",  # tf.Variable-like conversion (TensorFlow)
            # TensorFlow: tf.Module / checkpoint citizenship and tf.distribute
            "named_children", "restore_deferred", "strategy_scope_open",
            "variables_captured_by",
        ),
        signatures={
            "make_variable": ("value", "variable"), "assign": ("native", "value", "variable"),
            "raw_array": ("native",), "storage_dtype": ("dtype",),
            "read_value": ("native",),  # a snapshot a later in-place assign cannot change
        },
    ),
    Area(
        "training",
        "The train/test/predict steps: autodiff of the loss, jit, in-place update.",
        required_by=TRAINABLE,
        required=("Trainer", "loss_and_grads"),
        optional=(
            "pure_train_step", "pure_test_step",  # JAX's train_step(state, data)
            "dense_gradients",  # TF: IndexedSlices -> dense before the update
            "apply_across_replicas",  # TF: optimizer update inside a tf.distribute strategy
            "no_grad",  # a context manager for optimizer updates
            "takes_host_batches",  # (model) -> the jitted steps take NumPy batches as they are
        ),
        signatures={"loss_and_grads": ("model", "x", "y", "sample_weight")},
    ),
    Area(
        "training.optimizers",
        "Fused optimizer updates (one framework call for all variables).",
        optional=("fused_optimizer_update",),
    ),
    Area(
        "training.data_adapters",
        "Adapters for a framework's own data containers (tf.data, torch DataLoader), "
        "loaded when such a container is first seen (detection reads type modules).",
        optional=("TFDatasetAdapter", "TorchDataAdapter"),
    ),
    Area(
        "layers",
        "Layers' framework citizenship and framework-only layers: torch.nn.Module "
        "citizenship of a layer living on torch (layers/torch.py); TFSMLayer "
        "(layers/tfsm.py) reloading a TF SavedModel (layers/tensorflow.py).",
        optional=(
            # torch
            "adopt", "check_initialized", "check_module_state", "is_module",
            "load_module_state", "module_state", "on_move", "run_wrapped", "sync",
            "torch_class", "track_module_parameters",
            # tensorflow
            "load", "endpoint", "variables_used_by",
        ),
    ),
    Area(
        "layers.preprocessing",
        "The data layers' host step inside TensorFlow code (layers/preprocessing/): "
        "string and lookup work runs on NumPy; on tf.Tensor inputs (eager, tf.function, "
        "tf.data.Dataset.map) the TensorFlow file runs it through tf.numpy_function and "
        "builds tf.string / tf.RaggedTensor outputs.",
        optional=("host_call", "is_ragged", "ragged_parts", "ragged_from_row_lengths",
                  "to_host", "standardize", "squeeze_last", "expand_last", "reshape", "to_sparse"),
    ),
    Area(
        "layers.jax_layer",
        "JaxLayer / FlaxLayer (layers/jax_layer/): jax tree utilities, PRNG keys and the "
        "flax init/apply calls around a user's jax function or flax module.",
        optional=("flatten", "unflatten", "is_array_leaf", "as_jax", "to_key", "ones",
                  "in_trace", "flax_apply", "flax_init", "is_flax_module"),
    ),
    Area(
        "layers.rnn",
        "The recurrent time loop (lax.scan under jax tracing) and fused LSTM/GRU "
        "kernels (torch.lstm / torch.gru; TF CudnnRNNV3 on GPU, BlockLSTMV2 / GRUBlockCell on CPU), "
        "with `fused_supported` saying where a fused kernel applies (device, dtype).",
        optional=("time_loop", "SCAN_MIN_STEPS", "fused_lstm", "fused_gru",
                  "fused_gru_reset_before", "fused_supported", "CPU_BLOCK_LSTM",
                  # (TF) a context without fused kernels, for exported graphs
                  "portable_graphs"),
    ),
    Area(
        "utils",
        "keras.utils pieces that touch a framework's global state.",
        optional=("set_random_seed",),
    ),
    Area(
        "data",
        "The framework containers the data utilities return (keras.utils' dataset "
        "loaders, timeseries windows and split_dataset): tf.data pipelines built with "
        "Keras' ops and seeds, torch Dataset splits.",
        optional=("image_dataset", "text_dataset", "audio_dataset", "timeseries_dataset",
                  "dataset_samples", "split_from_samples", "split_dataset"),
    ),
    Area(
        "distribution",
        "keras.distribution on the framework's own engine: device lists, meshes and "
        "layouts (jax.sharding), multi-process start (jax.distributed, "
        "torch.distributed), the tf.distribute strategy of a distribution (TF), and "
        "the trainers' hooks (sharded batches, laid-out variables, gradient all-reduce).",
        optional=(
            "list_devices", "get_device_count", "initialize", "num_processes",
            "process_id", "to_backend_mesh", "to_backend_layout", "distribute_tensor",
            # jax trainer
            "variable_sharding", "place_variables", "shard_batch", "constrain",
            # tensorflow
            "strategy_of",
            # torch trainer
            "data_parallel_group", "placements", "model_parallel", "sharded_state",
            "implicit_replication", "align_grads",
        ),
    ),
    Area(
        "saving",
        "Orbax checkpoints (orbax-checkpoint, JAX's checkpoint library): "
        "keras.callbacks.OrbaxCheckpoint and loading an Orbax directory.",
        optional=("checkpointer", "save", "is_multi_process", "process_index", "sync", "is_checkpoint",
                  "step_path", "saved_names", "load", "abstract_pytree"),
    ),
    Area(
        "export",
        "model.export: tf.saved_model / tf2onnx (tensorflow), torch.export (torch), "
        "jax.export (jax).",
        optional=(
            # tensorflow
            "version", "new_root", "to_tflite", "is_tf_function", "has_traces", "is_tf_variable",
            "is_trackable", "tensor_spec", "variable", "assign", "function", "concrete",
            "variables_used", "resources_under", "save", "describe", "to_onnx",
            # torch
            "ServedModule", "sample", "dynamic_shapes_for", "export_program",
            "save_program",
            # jax
            "abstract_args", "export", "constants", "serialize",
        ),
    ),
)

AREAS_BY_NAME = {a.name: a for a in AREAS}


def framework_importing(root: str) -> str | None:
    """The framework whose files alone may import the top-level module ``root``."""
    for fw, roots in FRAMEWORK_IMPORTS.items():
        if root in roots:
            return fw
    return None
