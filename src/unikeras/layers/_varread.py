"""What ``self.<variable>`` gives inside ``call``: decided by the caller's next bytecode.

Inside ``Layer.__call__`` a variable attribute read returns the raw framework array, so
``x @ self.kernel`` and ``jnp.sum(self.w)`` are native operations with no wrapper. Keras
code also uses the variable itself inside ``call`` (``self.total.assign_add(...)``,
``self.v.value``, ``return self.total``). ``Layer.__getattr__`` tells the two apart by
looking at the instruction that follows the attribute load in the calling frame:

* an attribute load (``LOAD_ATTR`` / ``LOAD_METHOD``) of a name of Keras' variable API
  (``assign``, ``assign_add``, ``value``, ``numpy``, ``dtype``, ...): the ``Variable``;
* ``RETURN_VALUE`` (``return self.total``): a snapshot of the value (a later in-place
  update of the variable does not change what the call returned);
* a store into a local that the same function later uses with a mutating method
  (``v = self.total; ...; v.assign_add(...)``): the ``Variable``;
* anything else: the raw array.

Each code location is decoded once with ``dis`` (CACHE entries are hidden by
``dis.get_instructions``; LOAD_METHOD on Python 3.10-3.11, LOAD_ATTR with the method bit
on 3.12+) and the answer cached in a dict keyed by ``(id(code), f_lasti)``: a read costs one
``sys._getframe`` and one dict lookup.
"""

from __future__ import annotations

import dis

RAW, BOX, VALUE = 0, 1, 2

#: Attribute names of Keras' Variable API that raw arrays lack or spell differently.
VARIABLE_API = frozenset({
    "assign", "assign_add", "assign_sub", "value", "numpy", "name", "path", "trainable",
    "dtype", "constraint", "regularizer", "aggregation", "synchronization", "autocast",
    "framework", "overwrite_with_gradient",
})
_MUTATORS = frozenset({"assign", "assign_add", "assign_sub"})
_ATTR_LOADS = frozenset({"LOAD_ATTR", "LOAD_METHOD"})
_LOCAL_LOADS = frozenset({"LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR",
                          "LOAD_FAST_BORROW", "LOAD_DEREF", "LOAD_NAME"})
_LOCAL_STORES = frozenset({"STORE_FAST", "STORE_DEREF", "STORE_NAME"})

KIND: dict[tuple, int] = {}
_pinned: dict[int, object] = {}
_code_info: dict[object, tuple] = {}


def _info(code):
    try:
        return _code_info[code]
    except KeyError:
        instrs = [i for i in dis.get_instructions(code) if i.opname != "CACHE"]
        index = {ins.offset: n for n, ins in enumerate(instrs)}
        mutated = set()
        for a, b in zip(instrs, instrs[1:]):
            if b.opname in _ATTR_LOADS and b.argval in _MUTATORS:
                if a.opname in _LOCAL_LOADS:
                    mutated.add(a.argval)
                elif a.opname in ("LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW_LOAD_FAST_BORROW"):
                    mutated.add(a.argval[1])
        info = _code_info[code] = (instrs, index, frozenset(mutated))
        return info


def _decode(code, lasti) -> int:
    instrs, index, mutated = _info(code)
    n = index.get(lasti)
    if n is None or instrs[n].opname not in _ATTR_LOADS or n + 1 >= len(instrs):
        return RAW  # getattr(self, name), hasattr, ...: the raw array as before
    nxt = instrs[n + 1]
    if nxt.opname in _ATTR_LOADS:
        return BOX if nxt.argval in VARIABLE_API else RAW
    if nxt.opname == "RETURN_VALUE":
        return VALUE
    if nxt.opname in _LOCAL_STORES and nxt.argval in mutated:
        return BOX
    return RAW


def read_kind(code, lasti) -> int:
    """RAW, BOX or VALUE for the variable read at offset ``lasti`` of ``code`` (the
    calling frame's), decoded once, then cached in ``KIND`` under ``(id(code), lasti)``
    (``Layer.__getattr__`` reads it directly; an int pair hashes in a few ns where a code
    object hashes its whole bytecode; the code object is kept alive, so its id is never
    reused)."""
    key = (id(code), lasti)
    try:
        return KIND[key]
    except KeyError:
        _pinned[id(code)] = code
        kind = KIND[key] = _decode(code, lasti)
        return kind
