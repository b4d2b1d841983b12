"""Cases of ``keras.tree``, run by tests/core/test_keras_tree.py on unikeras and, in a
subprocess, on Keras 3 itself (``python _tree_cases.py``: prints the results as JSON).
Each case returns ``repr`` of its result, or ``"raises <Type>"``."""

import collections
import json
import sys

Point = collections.namedtuple("Point", ["x", "y"])

STRUCTS = {
    "flat": 3,
    "none": None,
    "list": [1, [2, 3], (4, None)],
    "dict": {"b": 1, "a": [2, {"d": 3, "c": 4}]},
    "ordered": collections.OrderedDict([("z", 1), ("a", 2)]),
    "named": Point(x=[1, 2], y={"k": 3}),
    "single": [7],
    "empty": [[], {}, ()],
}


def cases(tree):
    out = {}

    def run(name, fn):
        try:
            out[name] = repr(fn())
        except Exception as e:
            out[name] = f"raises {type(e).__name__}"

    for key, s in STRUCTS.items():
        run(f"flatten/{key}", lambda: tree.flatten(s))
        run(f"flatten_with_path/{key}", lambda: tree.flatten_with_path(s))
        run(f"is_nested/{key}", lambda: tree.is_nested(s))
        run(f"map/{key}", lambda: tree.map_structure(
            lambda v: None if v is None else v * 10, s))
        run(f"map_none_not_leaf/{key}", lambda: tree.map_structure(
            lambda v: v * 10, s, none_is_leaf=False))
        run(f"pack/{key}", lambda: tree.pack_sequence_as(
            s, [f"l{i}" for i in range(len(tree.flatten(s)))]))
        run(f"lists_to_tuples/{key}", lambda: tree.lists_to_tuples(s))
        run(f"traverse_bottom/{key}", lambda: tree.traverse(
            lambda v: tree.MAP_TO_NONE if v == 2 else None, s, top_down=False))
        run(f"traverse_top/{key}", lambda: tree.traverse(
            lambda v: "cut" if isinstance(v, dict) else None, s))
        run(f"same_structure_self/{key}", lambda: tree.assert_same_structure(s, s))
    run("map_two", lambda: tree.map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)]))
    run("map_two_mismatch", lambda: tree.map_structure(lambda a, b: a, [1, 2], [1, [2]]))
    run("same_structure_list_tuple", lambda: tree.assert_same_structure([1, 2], (1, 2)))
    run("same_structure_len", lambda: tree.assert_same_structure([1, 2], [1, 2, 3]))
    run("same_paths_list_tuple", lambda: tree.assert_same_paths([1, 2], (1, 2)))
    run("same_paths_differ", lambda: tree.assert_same_paths({"a": 1}, {"b": 1}))
    run("up_to", lambda: tree.map_structure_up_to(
        [None, None], lambda a: repr(a), [[1, 2], {"x": 3}]))
    run("up_to_two", lambda: tree.map_structure_up_to(
        (1, [2, 3]), lambda a, b: (a, b), ((1, 1), [2, 3]), ((5, 5), [6, 7])))
    run("shapes", lambda: tree.map_shape_structure(
        lambda s: tuple(reversed(s)), {"a": (None, 3), "b": [(1, 2), [4]]}))
    run("pack_wrong_count", lambda: tree.pack_sequence_as([1, [2]], [1, 2, 3]))
    return out


if __name__ == "__main__":
    import keras

    json.dump(cases(keras.tree), sys.stdout)
