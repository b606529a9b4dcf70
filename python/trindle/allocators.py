"""Allocators and notices: byte quotas a worker creates segments and child allocators from, and what the
supervisor tells a worker unasked (an allocator's pressure, a lane that ended). docs/control-protocol.md §4."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from . import _native
from .rights import Rights

_lib = _native.lib


class Allocator:
    """An allocator this worker holds: granted by the config (``t.allocator(name)``) or made at run time
    (``t.create_allocator``). It belongs to the connection until ``t.release(allocator)``.

    ``object_id`` is the supervisor's id for it, ``rights`` the rights held (ALLOCATE, DUPLICATE, TRANSFER) and
    ``quota`` its quota in bytes."""

    def __init__(self, handle: int, name: str | None) -> None:
        self._handle: int | None = handle
        self.name: str | None = name
        self.object_id: int = _lib.trindle_allocator_id(handle)
        self.rights: Rights = Rights(_lib.trindle_allocator_rights(handle))
        self.quota: int = _lib.trindle_allocator_quota(handle)

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"allocator {self.object_id:#x} was released")
        return self._handle

    def __repr__(self) -> str:
        return (
            f"Allocator(name={self.name!r}, object_id={self.object_id:#x}, quota={self.quota}, "
            f"rights={int(self.rights):#x})"
        )


class NoticeKind(enum.IntEnum):
    """What a notice says (TRINDLE_NOTICE_*)."""

    PRESSURE_ABOVE = _native.NOTICE_PRESSURE_ABOVE
    """An allocator this worker holds reached ``percent`` of its quota."""
    PRESSURE_BELOW = _native.NOTICE_PRESSURE_BELOW
    """An allocator this worker holds fell below ``percent`` of its quota again."""
    LANE_ENDED = _native.NOTICE_LANE_ENDED
    """A lane this worker receives ended: its sender will not run again."""
    GRANTED = _native.NOTICE_GRANTED
    """An object granted to this worker at run time (``trindle grant``): ``details`` is its name, under which
    ``Worker.segment`` or ``Worker.allocator`` finds it from now on."""
    GIVE_BACK = _native.NOTICE_GIVE_BACK
    """The supervisor asks the holders of an allocator (``object_id``) to give ``used`` bytes back: release
    segments or child allocators made from it (``trindle reclaim``)."""


@dataclass(frozen=True)
class Notice:
    """One notice, in the order it came.

    ``kind`` (a NoticeKind, or the int for a kind this package does not know); ``object_id`` the object it is
    about (the allocator, the pipe whose lane ended, the object granted); ``percent`` the threshold crossed (80 or
    95; else 0); ``used`` the allocator's use in bytes after the change (for a lane that ended: its lane id; for a
    give-back: the bytes asked for); ``quota`` the allocator's quota (else 0); ``details`` the supervisor's words,
    for a log line (for a grant: the name it is granted under)."""

    kind: NoticeKind | int
    object_id: int
    percent: int
    used: int
    quota: int
    details: str

    @classmethod
    def _of(cls, notice: _native.Notice) -> Notice:
        try:
            kind: NoticeKind | int = NoticeKind(notice.kind)
        except ValueError:
            kind = notice.kind
        return cls(
            kind,
            notice.object_id,
            notice.percent,
            notice.used,
            notice.quota,
            notice.details.decode("utf-8", "replace"),
        )
