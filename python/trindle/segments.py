"""Segments: blocks of shared memory, mapped with exactly the protection their rights allow."""

from __future__ import annotations

import ctypes
from typing import Any, Optional

from . import _native
from .errors import check, revoked
from .rights import Rights

_lib = _native.lib


class Segment:
    """A segment granted to this worker (``t.segment(name)``) or mapped from an fd (``Segment.map``).

    ``memory`` is a memoryview of the whole mapping, with no copy: read-only unless the rights hold WRITE (a
    segment granted ``read`` comes as a read-only fd, so the kernel refuses a writable mapping of it whatever this
    process tries). It is released when the segment is closed; slices taken of it are not guarded. ``address``
    is the mapping's first byte (an int), ``fd`` its memfd (still owned by the segment).

    A granted segment follows the supervisor's revocations (docs/control-protocol.md §4), as libtrindle reads
    them during the connection's calls: moved to a fresh copy (another holder's handle was revoked), it stays at
    the same address with the same fd number, so ``memory`` goes on working on the same contents; revoked,
    ``memory`` raises Revoked, the memoryview handed out before is released (at the next ``exchange`` or
    ``stop_requested``, or when ``memory`` is asked for), and a slice or pointer kept into it faults (SIGSEGV).
    """

    def __init__(self, handle: int, name: Optional[str], owner: Any) -> None:
        self._handle = handle
        self._owner = owner
        self.name: Optional[str] = name
        self.size: int = _lib.trindle_segment_size(handle)
        self.rights: Rights = Rights(_lib.trindle_segment_rights(handle))
        self.address: int = _lib.trindle_segment_address(handle)
        self._memory: memoryview = _native.memory(self.address, self.size, self.writable)

    @classmethod
    def map(cls, fd: int, size: int, rights: int, offset: int = 0) -> Segment:
        """Maps ``size`` bytes at ``offset`` of segment memfd ``fd`` with ``rights`` (``Rights``, or an int of
        RIGHT_*; READ required); the segment then owns the fd."""
        handle = ctypes.c_void_p()
        check(_lib.trindle_segment_map(fd, offset, size, rights, ctypes.byref(handle)))
        return cls(handle.value, None, None)

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"segment {self.name!r} is closed")
        if self._revoked():
            raise revoked()
        return self._handle

    def _revoked(self) -> bool:
        """Whether libtrindle unmapped the segment on a revoke (its address is then NULL); releases ``memory``."""
        if _lib.trindle_segment_address(self._handle) is not None:
            return False
        self._release()
        return True

    def _release(self) -> None:
        try:
            self._memory.release()
        except BufferError:
            pass  # exported to another object (e.g. numpy): that one is not guarded, and faults after a revoke

    @property
    def memory(self) -> memoryview:
        """The mapping as a memoryview; raises Revoked once the supervisor revoked the segment."""
        self._live()
        return self._memory

    @property
    def fd(self) -> int:
        """The memfd behind the segment, still owned by it (-1 once revoked or closed)."""
        return -1 if self._handle is None else _lib.trindle_segment_fd(self._handle)

    @property
    def writable(self) -> bool:
        return bool(self.rights & Rights.WRITE)

    def close(self) -> None:
        """Releases ``memory``; for a segment made by ``map``, also unmaps it and closes its fd."""
        if self._handle is not None:
            self._release()
            if self._owner is None:
                _lib.trindle_segment_close(self._handle)
            self._handle = None

    def __enter__(self) -> Segment:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False

    def __repr__(self) -> str:
        return f"Segment(name={self.name!r}, size={self.size}, rights={int(self.rights):#x})"
