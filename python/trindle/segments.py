"""Segments: blocks of shared memory, mapped with exactly the protection their rights allow."""

import ctypes

from . import _native
from .errors import check

_lib = _native.lib


class Segment:
    """A segment granted to this worker (``t.segment(name)``) or mapped from an fd (``Segment.map``).

    ``memory`` is a memoryview of the whole mapping, with no copy: read-only unless the rights hold WRITE (a
    segment granted ``read`` comes as a read-only fd, so the kernel refuses a writable mapping of it whatever this
    process tries). It is released when the segment is closed; slices taken of it are not guarded. ``address``
    is the mapping's first byte (an int), ``fd`` its memfd (still owned by the segment).
    """

    def __init__(self, handle, name, owner):
        self._handle = handle
        self._owner = owner
        self.name = name
        self.size = _lib.trindle_segment_size(handle)
        self.rights = _lib.trindle_segment_rights(handle)
        self.fd = _lib.trindle_segment_fd(handle)
        self.address = _lib.trindle_segment_address(handle)
        self.memory = _native.memory(self.address, self.size, self.writable)

    @classmethod
    def map(cls, fd, size, rights, offset=0):
        """Maps ``size`` bytes at ``offset`` of segment memfd ``fd`` with ``rights`` (RIGHT_*, READ required);
        the segment then owns the fd."""
        handle = ctypes.c_void_p()
        check(_lib.trindle_segment_map(fd, offset, size, rights, ctypes.byref(handle)))
        return cls(handle.value, None, None)

    @property
    def writable(self):
        return bool(self.rights & _native.RIGHT_WRITE)

    def close(self):
        """Releases ``memory``; for a segment made by ``map``, also unmaps it and closes its fd."""
        if self._handle is not None:
            self.memory.release()
            if self._owner is None:
                _lib.trindle_segment_close(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()
        return False

    def __repr__(self):
        return f"Segment(name={self.name!r}, size={self.size}, rights={self.rights:#x})"
