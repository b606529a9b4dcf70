"""Handles in motion (docs/control-protocol.md §4): handles this worker holds, attachments to send, bounces.

A sender: ``t.send(mail, b"dup", trindle.duplicate(doc, trindle.RIGHT_READ))`` keeps ``doc``;
``t.send(mail, b"move", trindle.move(doc))`` gives it up; ``t.bounces()`` lists the messages rejected downstream.
A receiver: ``handles = t.take(message)`` (then ``handles[0].map()`` for a segment), or ``t.reject(message, "why")``.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, NamedTuple, Optional, Union

from . import _native
from .errors import check
from .rights import Rights
from .segments import Segment

if TYPE_CHECKING:
    from .tables import Table

_lib = _native.lib


class Handle:
    """A handle this worker holds: a segment, pipe, bundle, allocator or table the supervisor gave it (redeemed,
    returned in a bounce, or created), with its fd. ``object_id`` is the supervisor's id of the object, ``kind`` one
    of OBJECT_*, ``rights`` the rights of this handle, ``size`` the object's size. The handle owns its fd until it
    is closed, mapped (``map``, ``table``) or given to something that takes it; use it as a context manager."""

    def __init__(self, struct: _native.Handle, owned: bool = True) -> None:
        self._struct = struct
        self._owned = owned
        self.object_id: int = struct.object_id
        self.kind: int = struct.kind
        self.rights: Rights = Rights(struct.rights)
        self.offset: int = struct.offset
        self.size: int = struct.size

    @classmethod
    def _copy(cls, struct: _native.Handle) -> Handle:
        """A handle over a copy of ``struct``, owning its fd."""
        copy = _native.Handle()
        ctypes.pointer(copy)[0] = struct
        return cls(copy)

    @classmethod
    def of(cls, segment: Segment) -> Handle:
        """Describes a mapped segment as a handle to attach; the fd stays the segment's."""
        struct = _native.Handle()
        check(_lib.trindle_segment_handle(segment._live(), ctypes.byref(struct)))
        return cls(struct, owned=False)

    @property
    def fd(self) -> int:
        """The memfd (-1 once closed or taken)."""
        return self._struct.fd

    def detach(self) -> int:
        """Takes the fd out of the handle, for the caller to own and close; the handle holds nothing after."""
        fd = self._struct.fd
        self._struct.fd = -1
        return fd

    def map(self) -> Segment:
        """Maps a segment handle with exactly its rights; the segment takes the fd (close the segment to unmap
        it). Raises TrindleError if the handle is not a segment's or cannot be mapped."""
        segment = ctypes.c_void_p()
        check(_lib.trindle_handle_map(ctypes.byref(self._struct), ctypes.byref(segment)))
        return Segment(segment.value, None, None)

    def table(self) -> Table:
        """Maps a table handle (``kind == OBJECT_TABLE``): writable, with a writer slot, if it holds WRITE on a
        read-write fd; read-only otherwise. The table takes the fd (also if mapping fails, once the handle is a
        table's with READ). Raises TrindleError if it is not a table's or cannot be mapped."""
        from .tables import Table, _check

        table = ctypes.c_void_p()
        _check(_lib.trindle_table_from_handle(ctypes.byref(self._struct), ctypes.byref(table)))
        return Table(table.value)

    def close(self) -> None:
        """Closes the fd if the handle owns one."""
        if self._owned:
            _lib.trindle_handle_close(ctypes.byref(self._struct))

    def __enter__(self) -> Handle:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False

    def __repr__(self) -> str:
        return (
            f"Handle(object_id={self.object_id:#x}, kind={self.kind}, rights={self.rights!s}, size={self.size}, "
            f"fd={self.fd})"
        )


class Attach(NamedTuple):
    """One handle to send with a message: ``move`` or ``duplicate`` makes one."""

    handle: Handle
    rights: int
    mode: int
    segment: Optional[Segment] = None
    """The segment the handle describes, if one was given: a granted one that moves is closed by the send."""


def _handle(what: Union[Handle, Segment]) -> Handle:
    return Handle.of(what) if isinstance(what, Segment) else what


def _segment(what: Union[Handle, Segment]) -> Optional[Segment]:
    return what if isinstance(what, Segment) else None


def move(what: Union[Handle, Segment]) -> Attach:
    """An attachment that moves ``what`` (a Handle, or a mapped Segment) with all its rights: this worker gives it
    up once the message is sent. Needs TRANSFER."""
    handle = _handle(what)
    return Attach(handle, int(handle.rights), _native.MOVE, _segment(what))


def duplicate(what: Union[Handle, Segment], rights: Optional[int] = None) -> Attach:
    """An attachment of a copy of ``what`` with ``rights`` (the same or fewer; by default all its own); this
    worker keeps its handle. Needs DUPLICATE."""
    handle = _handle(what)
    return Attach(handle, int(handle.rights if rights is None else rights), _native.DUPLICATE, _segment(what))


class Bounce(NamedTuple):
    """A message this worker sent that its receiver rejected: the pipe's name, its sequence, the receiver's
    reason, its first bytes (at most 256) and the handles it carried, this worker's again."""

    pipe: str
    sequence: int
    reason: str
    head: bytes
    handles: list[Handle]


def _bounce(pointer: ctypes._Pointer) -> Bounce:
    """Copies a bounce out of the library and frees it; its handles' fds move to the Handles returned."""
    struct = pointer.contents
    handles = []
    for i in range(struct.handle_count):
        handles.append(Handle._copy(struct.handles[i]))
        struct.handles[i].fd = -1
    bounce = Bounce(
        struct.pipe.decode("utf-8", "replace"),
        struct.sequence,
        struct.reason.decode("utf-8", "replace"),
        ctypes.string_at(struct.head, struct.head_length) if struct.head_length else b"",
        handles,
    )
    _lib.trindle_bounce_free(pointer)
    return bounce
