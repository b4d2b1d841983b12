"""The structure the contract asks for, checked on the source tree.

* Framework imports only in files (or folders) named for the framework: ``import x``,
  ``from x import``, inside functions too, ``importlib.import_module("x")``,
  ``__import__("x")`` and ``sys.modules["x"]``.
* No import cycle between the packages of ``unikeras`` (xp, nn_ops, ops, layers, ...);
  module-level cycles only where listed below, with the reason.
* Every framework file lives in an area of the shim contract (``unikeras/_shims.py``)
  and provides what that area requires and nothing it does not know about; every
  installed framework has the files its areas require.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import sys
from collections import defaultdict

import pytest

import unikeras
from unikeras import _shims

ROOT = os.path.dirname(unikeras.__file__)
FRAMEWORK_NAMES = set(_shims.FRAMEWORKS)


def _sources():
    for dirpath, dirnames, names in os.walk(ROOT):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for n in sorted(names):
            if n.endswith(".py"):
                path = os.path.join(dirpath, n)
                yield os.path.relpath(path, ROOT), path


def _module_name(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["unikeras"] + parts)


def _parse(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def _string_arg(call):
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def framework_references(tree):
    """(line, top-level module) for every way a file can reach a module by name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            target = _string_arg(node)
            if name in ("import_module", "__import__") and target:
                yield node.lineno, target.split(".")[0]
        elif isinstance(node, ast.Subscript):
            v = node.value
            if (isinstance(v, ast.Attribute) and v.attr == "modules"
                    and getattr(v.value, "id", "") == "sys"
                    and isinstance(node.slice, ast.Constant)
                    and isinstance(node.slice.value, str)):
                yield node.lineno, node.slice.value.split(".")[0]


def test_framework_imports_only_in_framework_files():
    leaks = []
    for rel, path in _sources():
        allowed = FRAMEWORK_NAMES & set(rel[:-3].split(os.sep))
        for line, root in framework_references(_parse(path)):
            fw = _shims.framework_importing(root)
            if fw is not None and fw not in allowed:
                leaks.append(f"unikeras/{rel}:{line} reaches {root}")
    assert not leaks, "framework code outside framework files:\n" + "\n".join(leaks)


def test_the_leak_finder_sees_every_kind_of_import():
    src = ("def f():\n    import torch\n"
           "import importlib, sys\nimportlib.import_module('jax.numpy')\n"
           "__import__('tensorflow')\nsys.modules['torch'].manual_seed(0)\n"
           "from optax import adam\n")
    found = [root for _, root in framework_references(ast.parse(src))]
    assert sorted(r for r in found if _shims.framework_importing(r)) == sorted(
        ["torch", "jax", "tensorflow", "torch", "optax"])


# ------------------------------------------------------------------------ import graph
def _import_graph():
    """module -> unikeras modules it imports (anywhere in the file, lazily too). Loads by
    a computed name (``importlib.import_module`` in the serialization registry, which
    imports the modules that register the built-in classes) are not dependencies."""
    modules = {_module_name(rel): (rel, path) for rel, path in _sources()}
    is_pkg = {m: rel.endswith("__init__.py") for m, (rel, _) in modules.items()}
    graph = defaultdict(set)
    for mod, (rel, path) in modules.items():
        for node in ast.walk(_parse(path)):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod.split(".") if is_pkg[mod] else mod.split(".")[:-1]
                    base = base[:len(base) - (node.level - 1)]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
                targets = subs or [base]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t != mod and t != "unikeras":
                    graph[mod].add(t)
    return modules, is_pkg, graph


def _cycles(graph, nodes):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def _package(mod):
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_import_cycle_between_packages():
    """xp, nn_ops, ops, state, layers, training, saving, ... form a DAG: e.g. the ops
    never import the layers (symbolic ops reach the layers through _symbolic_hook)."""
    modules, _, graph = _import_graph()
    pkg_graph = defaultdict(set)
    for a, targets in graph.items():
        for b in targets:
            if _package(a) != _package(b):
                pkg_graph[_package(a)].add(_package(b))
    cycles = _cycles(pkg_graph, {_package(m) for m in modules})
    described = [" <-> ".join(sorted(c)) + ": " + ", ".join(
        f"{a}->{b}" for a in sorted(c) for b in sorted(pkg_graph[a]) if b in c) for c in cycles]
    assert not cycles, "package import cycles:\n" + "\n".join(described)


# Module-level cycles that remain, each within one package and each through an import
# inside a function (so import order never breaks). Anything else is a failure.
KNOWN_MODULE_CYCLES = {
    # Layer.__call__ / compute_output_shape use the symbolic machinery, whose InputLayer
    # and OpLayer are Layers; a torch.nn.Module assigned to a layer attribute is wrapped
    # in TorchModuleWrapper, a Layer. Operation (the base of Layer) uses the same
    # symbolic machinery (symbolic_call, compute_output_spec).
    frozenset({"unikeras.layers.layer", "unikeras.layers.operation",
               "unikeras.layers.symbolic", "unikeras.layers.torch_module_wrapper"}),
    # Model(inputs, outputs) becomes a Functional (a Model subclass), as in Keras.
    frozenset({"unikeras.training.model", "unikeras.training.functional"}),
    # The TensorFlow Array API namespace (xp/tensorflow/): its modules share one array
    # wrapper and dtype helpers.
    frozenset({"unikeras.xp.tensorflow.array_api._base",
               "unikeras.xp.tensorflow.array_api._creation"}),
    frozenset({"unikeras.xp.tensorflow.compliant._array",
               "unikeras.xp.tensorflow.compliant._wrap",
               "unikeras.xp.tensorflow.compliant.fft",
               "unikeras.xp.tensorflow.compliant.linalg"}),
}


def test_module_cycles_only_the_known_ones():
    """Cycles between modules, with a package's ``__init__`` standing for the modules
    it imports (``from . import serialize`` in layers/rnn.py was a cycle through
    layers/__init__.py)."""
    modules, is_pkg, graph = _import_graph()

    def expand(m, seen):
        if not is_pkg[m] or m in seen:
            return {m}
        seen.add(m)
        out = set()
        for t in graph.get(m, ()):
            out |= expand(t, seen)
        return out

    flat = {m: {u for t in graph.get(m, ()) for u in expand(t, set())
                if u != m and not is_pkg[u]}
            for m in modules if not is_pkg[m]}
    cycles = _cycles(flat, set(flat))
    new = [sorted(c) for c in cycles if not any(c <= k for k in KNOWN_MODULE_CYCLES)]
    assert not new, "new module import cycles:\n" + "\n".join(" <-> ".join(c) for c in new)


# ------------------------------------------------------------------------ shim contract
def _framework_files():
    """(area, framework) for every framework file or folder of the source tree."""
    found = set()
    for rel, _ in _sources():
        parts = rel[:-3].split(os.sep)
        for i, p in enumerate(parts):
            if p in FRAMEWORK_NAMES and (i == len(parts) - 1 or parts[i + 1:] == ["__init__"]
                                         or i < len(parts) - 1):
                found.add((".".join(parts[:i]), p))
                break
    return found


def test_every_framework_file_is_in_a_contract_area():
    unknown = sorted(f"unikeras/{area.replace('.', '/')}/{fw}"
                     for area, fw in _framework_files() if area not in _shims.AREAS_BY_NAME)
    assert not unknown, (
        "framework files outside the shim contract (add their area to unikeras/_shims.py "
        f"AREAS, with what generic code calls there): {unknown}")


def _installed(framework):
    return framework == "numpy" or importlib.util.find_spec(framework) is not None


def _cases():
    for area in _shims.AREAS:
        for fw in _shims.FRAMEWORKS:
            yield pytest.param(area, fw, id=f"{area.name}-{fw}")


def _public(mod):
    """The names a shim module defines for others: public functions, classes and
    constants of its own (not what it imported)."""
    return {n for n, v in vars(mod).items()
            if not n.startswith("_") and not isinstance(v, type(sys))
            and getattr(v, "__module__", mod.__name__) == mod.__name__
            and (callable(v) or n.isupper())}


@pytest.mark.parametrize("area,framework", list(_cases()))
def test_shim_files_implement_their_area(area, framework):
    if not _installed(framework):
        pytest.skip(f"{framework} is not installed")
    from unikeras.xp import shim

    name = f"unikeras.{area.name}.{framework}"
    has_file = importlib.util.find_spec(name) is not None
    if framework in area.required_by:
        assert has_file, f"{name} is required by the shim contract ({area.purpose})"
    if not has_file:
        return
    mod = shim(framework, area.name)
    assert mod is importlib.import_module(name)
    missing = [n for n in area.required if not hasattr(mod, n)]
    assert not missing, f"{name} lacks {missing}, required by the '{area.name}' contract"
    for fn_name, params in area.signatures.items():
        sig = inspect.signature(getattr(mod, fn_name)).parameters
        lead = tuple(sig)[:len(params)]
        extra = [p for p in tuple(sig.values())[len(params):]
                 if p.default is inspect.Parameter.empty
                 and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        assert lead == params and not extra, (
            f"{name}.{fn_name}{tuple(sig)}: the '{area.name}' contract calls it as "
            f"{fn_name}{params} (extra parameters need defaults)")
    if area.fast_paths_of:
        ops = importlib.import_module(area.fast_paths_of)
        allowed = set(ops.__all__)
        what = f"an op of {area.fast_paths_of}"
    else:
        allowed = area.allowed
        what = f"a name of the '{area.name}' contract in unikeras/_shims.py"
    unknown = sorted(n for n in _public(mod) if n not in allowed)
    assert not unknown, (f"{name} defines {unknown}, not {what}: generic code never "
                         "calls them (make them private, or add them to the contract)")
