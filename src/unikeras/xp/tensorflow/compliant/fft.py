"""``fft`` extension of the compliant namespace: the plain one's functions, wrapped."""

from ..array_api import fft as _plain
from ._wrap import wrap_module as _wrap_module

__all__ = _wrap_module(_plain, _plain.__all__, globals())
