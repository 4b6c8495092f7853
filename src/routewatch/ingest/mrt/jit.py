"""How the MRT kernel runs: compiled by numba, or interpreted for small inputs.

Role: the kernel modules (:mod:`.wire`, :mod:`.text`, :mod:`.framing`, :mod:`.attributes`,
:mod:`.elems`, :mod:`.bgp4mp`, :mod:`.table_dump`, :mod:`.decoder`, :mod:`.problems`) mark
their functions with :func:`kernel` (compiled as a function of its own) or :func:`inline`
(inlined into its callers at numba IR level: an array argument of a real call costs seven or
more machine words, and the per-elem helpers take many). Importing them does not import numba:
the functions stay plain Python and run as such. :func:`compile_kernels` imports numba and
replaces every marked function, in every kernel module that refers to it, by its numba
dispatcher; from then on the same code runs as machine code (cached on disk by numba; the
first compilation takes one to two minutes of CPU).

So one decoder has two engines: interpreted (no numba, no LLVM: about 100 MB and half a
second less to start, about a thousand times slower per elem; the reader uses it for inputs
of a few kilobytes) and compiled. The kernel code is written so that both give the same
result: integers are Python ints or numpy scalars used within 64 bits, and unsigned 64-bit
arithmetic wraps the same way (the interpreted engine runs under ``numpy.errstate(over=
"ignore")``). ``tests/test_mrt_engines.py`` checks that both engines decode every real file
of the tests identically.

Failure modes: :func:`compile_kernels` raises what numba raises (a typing error is a bug in a
kernel module); the interpreted engine raises ``IndexError`` where compiled code would read out
of bounds, which makes it the fuzzer's bounds checker.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

__all__ = ["compile_kernels", "compiled", "i64", "inline", "interpreted", "kernel"]

F = TypeVar("F", bound=Callable[..., Any])

#: Compilation options of every kernel function. The kernel allocates nothing, so it runs
#: without numba's reference counting (``_nrt=False``): with it, every array passed to a
#: helper costs atomic increments and decrements per call. It touches no Python object, so
#: compiled it releases Python's lock while it runs (``nogil``): the thread that drains a
#: bzip2 file's ``lbzip2`` pipe (:mod:`.decompress`) runs meanwhile.
OPTIONS: dict[str, Any] = {"cache": True, "error_model": "numpy", "_nrt": False, "nogil": True}

if TYPE_CHECKING:

    def i64(value: object, /) -> int:
        """``value`` as a signed 64-bit integer."""

else:
    #: ``value`` as a signed 64-bit integer: ``numpy.int64`` (numba keeps bytes read from the
    #: buffer as ``uint8`` otherwise, and unsigned mixed with signed becomes float), an ``int``
    #: to the type checker (it behaves as one within 64 bits).
    i64 = np.int64

_MARKED: list[tuple[Callable[..., Any], bool]] = []
#: (module namespace, name, plain function, dispatcher) of every replaced global
_SWAPS: list[tuple[dict[str, Any], str, Any, Any]] = []
_state = {"compiled": False}


def kernel(fn: F) -> F:
    """Mark ``fn`` as a kernel function compiled on its own."""
    _MARKED.append((fn, False))
    return fn


def inline(fn: F) -> F:
    """Mark ``fn`` as a kernel function inlined into its callers when compiled."""
    _MARKED.append((fn, True))
    return fn


def compiled() -> bool:
    """True once :func:`compile_kernels` has run in this process."""
    return _state["compiled"]


def compile_kernels() -> None:
    """Swap every marked function for its numba dispatcher (compiled lazily, on first call).

    Each kernel module's globals that refer to a marked function (its own definitions and
    the ones it imported by name) are replaced, so that numba resolves calls between kernel
    functions to dispatchers. Idempotent.
    """
    if _state["compiled"]:
        return
    from numba import njit

    dispatchers: dict[int, Any] = {}
    for fn, inlined in _MARKED:
        options = {**OPTIONS, "inline": "always" if inlined else "never"}
        dispatchers[id(fn)] = njit(**options)(fn)
    for name in sorted({fn.__module__ for fn, _ in _MARKED}):
        namespace = vars(sys.modules[name])
        for key, value in list(namespace.items()):
            if callable(value) and id(value) in dispatchers:
                _SWAPS.append((namespace, key, value, dispatchers[id(value)]))
                namespace[key] = dispatchers[id(value)]
    _state["compiled"] = True


@contextmanager
def interpreted() -> Iterator[None]:
    """Run the kernel as plain Python inside the block, also after :func:`compile_kernels`
    (then the plain functions are put back for the block: not thread-safe)."""
    with np.errstate(over="ignore"):  # uint64 hashing wraps, as it does in compiled code
        if not _state["compiled"]:
            yield
            return
        for namespace, key, plain, _ in _SWAPS:
            namespace[key] = plain
        try:
            yield
        finally:
            for namespace, key, _, dispatcher in _SWAPS:
                namespace[key] = dispatcher
