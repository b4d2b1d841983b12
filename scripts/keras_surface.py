"""Write tests/core/keras_surface.txt: every public name of Keras 3 (``dir(keras.X)`` of
each public module, legacy modules aside) and whether unikeras has it.

    python scripts/keras_surface.py [--check]

One line per name, ``<module>\\t<name>\\t<present|missing>``, sorted, after a header of
per-module counts. tests/core/test_keras_surface.py fails when a name marked present is
gone (a regression) and when a name marked missing has appeared (rerun this script and
commit the file, so the surface can only grow). ``--check`` prints the differences
between the file and the current tree without writing.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURFACE = ROOT / "tests" / "core" / "keras_surface.txt"
SKIP = ("legacy",)  # keras.legacy, keras.optimizers.legacy, keras.utils.legacy


def keras_surface():
    """{public module path: sorted public names} of the installed Keras."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    out, seen = {}, set()

    def walk(mod, path):
        names = sorted(n for n in dir(mod) if not n.startswith("_"))
        out[path] = names
        for n in names:
            v = getattr(mod, n)
            if (isinstance(v, types.ModuleType) and v.__name__.startswith("keras.")
                    and not v.__name__.startswith("keras.src") and n not in SKIP
                    and id(v) not in seen):
                seen.add(id(v))
                walk(v, f"{path}.{n}")

    walk(keras, "keras")
    return out, keras.__version__


def unikeras_module(path):
    """The unikeras module (or object) at a Keras module path, or None."""
    import unikeras

    obj = unikeras
    for part in path.split(".")[1:]:
        nxt = getattr(obj, part, None)
        if nxt is None and isinstance(obj, types.ModuleType):
            try:
                nxt = importlib.import_module(f"{obj.__name__}.{part}")
            except ImportError:
                nxt = None
        if nxt is None:
            return None
        obj = nxt
    return obj


def has_name(path, name):
    mod = unikeras_module(path)
    return mod is not None and hasattr(mod, name)


def parse(text):
    """{(module, name): present} from the file's text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        module, name, state = line.split("\t")
        out[(module, name)] = state == "present"
    return out


def render(entries, version):
    per = Counter(m for m, _ in entries)
    have = Counter(m for (m, _), p in entries.items() if p)
    head = [f"# Keras {version} public names and whether unikeras has them "
            "(scripts/keras_surface.py writes this file; tests/core/test_keras_surface.py "
            "checks it).",
            f"# total: {sum(have.values())} / {len(entries)} present"]
    head += [f"# {m}: {have[m]} / {per[m]}" for m in sorted(per)]
    body = [f"{m}\t{n}\t{'present' if p else 'missing'}" for (m, n), p in sorted(entries.items())]
    return "\n".join(head + body) + "\n"


def main(argv):
    surface, version = keras_surface()
    sys.path.insert(0, str(ROOT / "src"))
    entries = {(m, n): has_name(m, n) for m, names in surface.items() for n in names}
    if "--check" in argv:
        old = parse(SURFACE.read_text()) if SURFACE.exists() else {}
        for key in sorted(set(old) | set(entries)):
            if old.get(key) != entries.get(key):
                print(key, old.get(key), "->", entries.get(key))
        return
    SURFACE.write_text(render(entries, version))
    print(render(entries, version).split("\n# keras\t")[0].split("\nkeras")[0])


if __name__ == "__main__":
    main(sys.argv[1:])
