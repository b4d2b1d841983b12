"""Per-thread call context: how deep we are inside Layer.__call__ (variables read as
raw arrays there), and the ``training`` flag passed down to nested layers."""

import threading

_local = threading.local()


class CallContext:
    __slots__ = ("depth", "training")

    def __init__(self):
        self.depth = 0
        self.training = None


def current() -> CallContext:
    try:
        return _local.ctx
    except AttributeError:
        _local.ctx = CallContext()
        return _local.ctx
