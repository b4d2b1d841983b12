"""Keras' ``keras.saving.KerasFileEditor``: inspect and edit the weights of a ``.keras``
or ``.weights.h5`` file without building the model.

The weights are read into ``weights_dict``, a nested dict shaped like the file's HDF5
tree (``{"layers": {"dense": {"0": kernel, "1": bias}}}``: the ``vars`` groups are
folded into their object, as in Keras), with the same checks as loading (no links, no
external or virtual datasets, declared sizes checked before reading). Objects and
weights can be renamed, deleted and added; ``save`` writes a ``.weights.h5`` file
(atomically) that ``model.load_weights`` reads.
"""

from __future__ import annotations

import os

import numpy as np

from . import _files


class KerasFileEditor:
    """``KerasFileEditor(filepath)``; ``weights_dict``, ``config`` and ``metadata``
    (``.keras`` files), and ``object_metadata`` (``{path: {"name": ...}}``)."""

    def __init__(self, filepath):
        from .keras_file import CONFIG, METADATA, WEIGHTS

        filepath = os.fspath(filepath)
        self.filepath = filepath
        self.config = None
        self.metadata = None
        self.object_metadata = {}
        if filepath.endswith(".keras"):
            with _files.open_archive(filepath, "KerasFileEditor") as z:
                names = z.namelist()
                if CONFIG in names:
                    self.config = _files.read_json_member(z, CONFIG, filepath,
                                                          "KerasFileEditor")
                if METADATA in names:
                    self.metadata = _files.read_json_member(z, METADATA, filepath,
                                                            "KerasFileEditor")
                if WEIGHTS not in names:
                    raise ValueError(f"KerasFileEditor: {filepath!r} has no {WEIGHTS}")
                with _files.weights_member(z, WEIGHTS, filepath, "KerasFileEditor") as f:
                    self.weights_dict = self._read_group(f, "")
        elif filepath.endswith(".weights.h5"):
            with _files.open_h5(filepath, "KerasFileEditor") as f:
                self.weights_dict = self._read_group(f, "")
        else:
            raise ValueError("Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={filepath}")

    # ------------------------------------------------------------------ reading
    def _read_group(self, group, path):
        import h5py

        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in group.attrs.items()}
        if attrs:
            self.object_metadata[path] = attrs
        out = {}
        for key in group.keys():
            where = f"{path}/{key}" if path else key
            _files._check_hard_link(group, key, where)
            value = group[key]
            if isinstance(value, h5py.Group):
                if len(value) == 0:
                    continue
                if "vars" in value.keys():
                    vars_group = _files.get_group(value, "vars")
                    if len(vars_group) == 0:
                        continue
                    # an object's weights sit in its "vars" group: fold it in
                    out[key] = self._read_group(vars_group, where)
                else:
                    out[key] = self._read_group(value, where)
                continue
            d = _files.check_dataset(group, key, where)
            out[key] = _files.read_dataset(d, where)
        return out

    # ------------------------------------------------------------------ inspecting
    def summary(self):
        """Print the file's objects and weights (name, shape, dtype) as a tree."""
        print(self._tree_text())

    weights_summary = summary

    def _tree_text(self):
        lines = [f"Keras model file '{self.filepath}'"]
        if self.metadata:
            lines.append("Saved with Keras " + str(self.metadata.get("keras_version", "?")))

        def walk(d, indent):
            for key, value in d.items():
                if isinstance(value, dict):
                    lines.append("  " * indent + f"{key}/")
                    walk(value, indent + 1)
                else:
                    lines.append("  " * indent + f"{key}: shape={tuple(value.shape)}, "
                                 f"dtype={value.dtype}")

        walk(self.weights_dict, 0)
        return "\n".join(lines)

    def compare(self, reference_model):
        """Compare the file with ``reference_model``'s weights (object by object, shape
        by shape); prints each mismatch. Returns ``{"status": "success" | "error",
        "error_count": int, "match_count": int}``."""
        from .weights_h5 import own_variables, walk

        errors, matches = [], 0
        for path, layer in walk(reference_model):
            variables = own_variables(layer)
            if not variables:
                continue
            node = self.weights_dict
            for part in path.split("/") if path else []:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                errors.append(f"Object '{path}' of the model is missing from the file")
                continue
            if len(node) != len(variables):
                errors.append(f"Object '{path}': the model has {len(variables)} weights, the "
                              f"file {len(node)}")
            for i, v in enumerate(variables):
                stored = node.get(str(i))
                if stored is None:
                    continue
                if tuple(stored.shape) != tuple(v.shape):
                    errors.append(f"Object '{path}' weight {i}: shape {tuple(stored.shape)} "
                                  f"in the file, {tuple(v.shape)} in the model")
                else:
                    matches += 1
        for e in errors:
            print(e)
        print(f"Comparison: {matches} matching weights, {len(errors)} mismatches")
        return {"status": "error" if errors else "success", "error_count": len(errors),
                "match_count": matches}

    # ------------------------------------------------------------------ editing
    def _edit(self, fn, source_name, target_name=None):
        if target_name is not None and "/" in target_name:
            raise ValueError("Argument `target_name` should be a leaf name, not a full path "
                             f"name. Received: target_name='{target_name}'")
        if "/" in source_name:
            parts = source_name.split("/")
            d = self.weights_dict
            for p in parts[:-1]:
                if not isinstance(d.get(p), dict):
                    raise ValueError(f"Path '{source_name}' not found in model.")
                d = d[p]
            if parts[-1] not in d:
                raise ValueError(f"Path '{source_name}' not found in model.")
            fn(d, parts[-1], target_name)
            return
        holders = []

        def find(d):
            for v in d.values():
                if isinstance(v, dict):
                    find(v)
            if source_name in d:
                holders.append(d)

        find(self.weights_dict)
        if len(holders) > 1:
            raise ValueError(f"Name '{source_name}' occurs more than once in the model; try "
                             "passing a complete path")
        if not holders:
            raise ValueError(f"Source name '{source_name}' does not appear in the model. Use "
                             "`editor.weights_summary()` to list all objects.")
        fn(holders[0], source_name, target_name)

    def rename_object(self, object_name, new_name):
        """Rename an object (``"dense_2"`` or a path ``"layers/dense_2"``)."""
        def rename(d, src, dst):
            d[dst] = d.pop(src)

        self._edit(rename, object_name, new_name)

    def delete_object(self, object_name):
        """Remove an object and its weights."""
        self._edit(lambda d, src, _: d.pop(src), object_name)

    @staticmethod
    def _check_weights(weights):
        if not isinstance(weights, dict):
            raise ValueError("Argument `weights` should be a dict where keys are weight names "
                             "(usually '0', '1', etc.) and values are NumPy arrays. Received: "
                             f"type(weights)={type(weights)}")
        return {str(k): np.asarray(v) for k, v in weights.items()}

    def add_object(self, object_path, weights):
        """Add an object at ``object_path`` (``"layers/dense_2"``) with ``weights``
        (``{"0": kernel, "1": bias}``)."""
        weights = self._check_weights(weights)
        parts = object_path.split("/")
        d = self.weights_dict
        for p in parts[:-1]:
            if not isinstance(d.get(p), dict):
                raise ValueError(f"Path '{'/'.join(parts[:-1])}' not found in model.")
            d = d[p]
        d[parts[-1]] = weights

    def delete_weight(self, object_name, weight_name):
        """Remove the weight ``weight_name`` (``"0"``) of an object."""
        def delete(d, src, _):
            if weight_name not in d[src]:
                raise ValueError(f"Weight {weight_name} not found in object {object_name}. "
                                 f"Weights found: {list(d[src].keys())}")
            d[src].pop(weight_name)

        self._edit(delete, object_name)

    def add_weights(self, object_name, weights):
        """Add (or replace) weights of an existing object."""
        weights = self._check_weights(weights)
        self._edit(lambda d, src, _: d[src].update(weights), object_name)

    # ------------------------------------------------------------------ writing
    def save(self, filepath):
        """Write the edited weights to ``filepath`` (a ``.weights.h5`` file), objects'
        arrays in ``vars`` groups as Keras writes them."""
        import h5py

        filepath = os.fspath(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError("Invalid `filepath` argument: expected a `.weights.h5` "
                             f"extension. Received: filepath={filepath}")

        def write(d, group, path):
            arrays = {k: v for k, v in d.items() if not isinstance(v, dict)}
            for key, value in d.items():
                if isinstance(value, dict) and value:
                    write(value, group.require_group(key), f"{path}/{key}" if path else key)
            if arrays:
                vars_group = group.require_group("vars")
                meta = self.object_metadata.get(path, {})
                for k, v in meta.items():
                    vars_group.attrs[k] = v
                for name, value in arrays.items():
                    vars_group.create_dataset(name, data=value)

        with _files.atomic_write(filepath) as tmp:
            with h5py.File(tmp, "w") as f:
                write(self.weights_dict, f, "")

    def resave_weights(self, filepath):
        self.save(filepath)
