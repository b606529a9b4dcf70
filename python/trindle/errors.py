"""TrindleError: a failed libtrindle call, with the library's fixed code and its own description."""

from __future__ import annotations

from . import _native


def _name(code, description):
    """The code's name as trindle.h spells it, from the library's description, which starts with it
    ("TRINDLE_E_FULL: the lane has no room now"): the names are written once, in the library."""
    name, colon, _ = description.partition(": ")
    return name if colon and name.startswith("TRINDLE_") else f"trindle code {code}"


class TrindleError(Exception):
    """A libtrindle call failed.

    Attributes: ``code`` (the negative TRINDLE_E_* number, fixed across languages), ``name`` (e.g.
    "TRINDLE_E_FULL"), ``description`` (the library's text for the code), ``detail`` (trindle_last_error(): the
    call, the values involved and, for a system call, its errno) and ``errno`` (trindle_last_errno(), or 0).
    """

    def __init__(self, code: int, detail: str, errno: int = 0) -> None:
        self.code: int = code
        self.description: str = _native.lib.trindle_strerror(code).decode("utf-8", "replace")
        self.name: str = _name(code, self.description)
        self.detail: str = detail
        self.errno: int = errno
        super().__init__(f"{self.description} ({code}): {detail}" if detail else f"{self.description} ({code})")


class Full(TrindleError):
    """TRINDLE_E_FULL: the lane (or outbox) has no room now; nothing was sent. Retry, or wait with a timeout."""


class Timeout(TrindleError, TimeoutError):
    """TRINDLE_E_TIMEOUT: the time ran out before the lane had room; nothing was sent."""


class CorruptLane(TrindleError):
    """TRINDLE_E_CORRUPT: one input lane broke the format and is read no more; the other lanes go on."""


class NotFound(TrindleError, LookupError):
    """TRINDLE_E_NOT_FOUND: no grant of that name; the detail lists the grants there are."""


class AccessDenied(TrindleError, PermissionError):
    """TRINDLE_E_ACCESS: the handle lacks a right, or the supervisor refused a request on handles (a forged or
    replayed token, a widening, a move without TRANSFER); the detail gives its reason and status."""


class Revoked(AccessDenied):
    """TRINDLE_E_ACCESS on a segment the supervisor revoked (``trindle revoke``): libtrindle unmapped it, and the
    worker must go on without it. The detail names the segment's object id."""


class SupervisorGone(TrindleError):
    """TRINDLE_E_SUPERVISOR_GONE: the control channel closed. Exit at once with SUPERVISOR_GONE_EXIT (70)."""


class OverQuota(TrindleError):
    """TRINDLE_E_OVER_QUOTA: the allocator's quota cannot hold what was asked for; the detail carries the
    supervisor's reason, naming the quota, the use and what was asked. Nothing was created or charged."""


class TableConflict(TrindleError):
    """TRINDLE_E_CONFLICT: a commit made after the snapshot (or transaction) began changed what it read, or another
    writer held an entry its commit writes: nothing was committed. Start again: ``Table.read`` and ``Table.write``
    do, a bounded number of times."""


class TableFull(Full):
    """TRINDLE_E_FULL from a table: a commit's new key found the table holding its key limit already (nothing was
    committed), or every writer slot is held by a live process (mapping writable)."""


class CorruptTable(TrindleError):
    """TRINDLE_E_CORRUPT from a table: what a writer left in the file breaks the format (a length over the limit, no
    empty entry, a redo record out of bounds); the detail names the entry and the values read."""


_CLASSES = {
    _native.E_FULL: Full,
    _native.E_TIMEOUT: Timeout,
    _native.E_CORRUPT: CorruptLane,
    _native.E_NOT_FOUND: NotFound,
    _native.E_ACCESS: AccessDenied,
    _native.E_SUPERVISOR_GONE: SupervisorGone,
    _native.E_OVER_QUOTA: OverQuota,
    _native.E_CONFLICT: TableConflict,
}

# A table's codes whose meaning differs from a lane's.
_TABLE_CLASSES = {**_CLASSES, _native.E_FULL: TableFull, _native.E_CORRUPT: CorruptTable}


def error(code: int) -> TrindleError:
    """The exception for a failed call's code, with this thread's last error text (read right after the call)."""
    detail = _native.lib.trindle_last_error().decode("utf-8", "replace")
    return _CLASSES.get(code, TrindleError)(code, detail, _native.lib.trindle_last_errno())


def table_error(code: int) -> TrindleError:
    """As ``error``, for a call on a table: TRINDLE_E_FULL is TableFull, TRINDLE_E_CORRUPT CorruptTable."""
    detail = _native.lib.trindle_last_error().decode("utf-8", "replace")
    return _TABLE_CLASSES.get(code, TrindleError)(code, detail, _native.lib.trindle_last_errno())


def revoked() -> Revoked:
    """The exception for a call on a revoked segment, with this thread's last error text (libtrindle's)."""
    return Revoked(_native.E_ACCESS, _native.lib.trindle_last_error().decode("utf-8", "replace"))


def check(code: int) -> int:
    """Raises the exception for a negative code; returns a non-negative one."""
    if code < 0:
        raise error(code)
    return code
