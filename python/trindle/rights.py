"""Rights: what a handle allows, as flags (trindle-layout.h, TRINDLE_RIGHT_*; docs/control-protocol.md)."""

import enum

from . import _native


class Rights(enum.IntFlag):
    """The rights of a handle. An ``int`` too: ``Rights.READ | Rights.WRITE == 0x03``, and a plain int is
    accepted wherever rights are. Rights can only be reduced, never added, by whoever passes a handle on."""

    READ = _native.RIGHT_READ
    """Read a segment."""
    WRITE = _native.RIGHT_WRITE
    """Write a segment (its fd is then writable)."""
    EXECUTE = _native.RIGHT_EXECUTE
    """Map a segment executable."""
    SEND = _native.RIGHT_SEND
    """Send into a pipe."""
    RECEIVE = _native.RIGHT_RECEIVE
    """Receive from a pipe."""
    DUPLICATE = _native.RIGHT_DUPLICATE
    """Copy the handle."""
    TRANSFER = _native.RIGHT_TRANSFER
    """Pass the handle on to another worker."""
    ALLOCATE = _native.RIGHT_ALLOCATE
    """Create objects charged to an allocator (the package has no calls for allocators yet)."""
