"""``unikeras.tree`` against ``keras.tree`` itself: the cases of ``_tree_cases.py`` run on
Keras 3 in a subprocess and here; every result (or the exception type) must be the same
(flattening order of dicts and namedtuples, paths, None as a leaf, traverse,
MAP_TO_NONE, structure checks)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import unikeras
from unikeras import layers

sys.path.insert(0, str(Path(__file__).parent))
import _misc_keras_refs  # noqa: E402
import _tree_cases  # noqa: E402

pytest.importorskip("keras")


@pytest.fixture(scope="module")
def keras_results():
    return _misc_keras_refs.run_keras_script(_tree_cases.__file__)


def test_every_tree_name_is_keras():
    keras_names = {"MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten",
                   "flatten_with_path", "is_nested", "lists_to_tuples",
                   "map_shape_structure", "map_structure", "map_structure_up_to",
                   "pack_sequence_as", "traverse"}
    assert keras_names <= set(dir(unikeras.tree))


def test_tree_matches_keras(keras_results):
    ours = _tree_cases.cases(unikeras.tree)
    assert set(ours) == set(keras_results)
    diff = {k: (ours[k], keras_results[k]) for k in ours if ours[k] != keras_results[k]}
    assert not diff, diff


def test_layers_and_arrays_are_leaves(any_framework, to_fw):
    # unikeras layers are pytrees for jax.grad; keras.tree must still see them as leaves
    dense = layers.Dense(2)
    x = to_fw(np.ones((2, 3), "float32"), any_framework)
    assert unikeras.tree.flatten({"m": dense, "x": [x]}) == [dense, x]
    doubled = unikeras.tree.map_structure(lambda a: a * 2, {"x": [x]})
    np.testing.assert_array_equal(np.asarray(unikeras.ops.convert_to_numpy(doubled["x"][0])),
                                  np.full((2, 3), 2.0))
