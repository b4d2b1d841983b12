"""Compare unikeras.ops with the installed Keras 3's keras.ops namespace.

Prints the implemented names, the Keras 3 ops still missing, and unikeras extras.
Run: python scripts/ops_coverage.py  (imports keras with its NumPy backend, ~5 s).
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "numpy")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def public(mod):
    return {n for n in dir(mod) if not n.startswith("_") and callable(getattr(mod, n))}


def main():
    import keras

    import unikeras.ops as uops

    submodules = {"nn", "linalg", "numpy", "image", "math", "core"}
    theirs = public(keras.ops) - submodules - {n for n in dir(keras.ops) if isinstance(getattr(keras.ops, n), type(os))}
    ours = set(uops.__all__) - submodules
    have = sorted(theirs & ours)
    missing = sorted(theirs - ours)
    extra = sorted(ours - theirs)
    print(f"keras.ops names: {len(theirs)}; implemented: {len(have)}; missing: {len(missing)}")
    print("\nImplemented:\n" + ", ".join(have))
    print("\nMissing:\n" + ", ".join(missing))
    if extra:
        print("\nunikeras-only names:\n" + ", ".join(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
