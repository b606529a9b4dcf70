"""Events (docs/events.md): a worker signals others without sending data ("a new file is ready").

An event is a count word (a u32, little-endian, at an offset that is a multiple of 4) in a segment granted as any
other. A ``Notifier`` (the segment granted ``[read, write]``) adds 1 to it and wakes every process asleep on it; a
``Listener`` (``read`` is enough) waits until the count moves past the one it last saw and says by how much. Every
listener sees every signal: they are counted, never consumed.

    ready = t.segment("ready")
    trindle.Notifier(ready).signal()               # in the worker that wrote the file
    signals = trindle.Listener(ready).wait(5.0)    # in each worker that waits for it: 0 after 5 s without one
"""

from __future__ import annotations

import ctypes
from typing import Optional

from . import _native
from .errors import Timeout, check, error
from .segments import Segment

_lib = _native.lib

EVENT_WORD_LENGTH = 4
"""The width of an event's count word in bytes (TRINDLE_EVENT_WORD_LENGTH)."""

EVENT_WORD_ALIGNMENT = 4
"""An event's offset in its segment is a multiple of this (TRINDLE_EVENT_WORD_ALIGNMENT)."""


def _segment_handle(segment: Segment, role: str) -> int:
    if not isinstance(segment, Segment):
        raise TypeError(f"an event {role} opens on a trindle.Segment, not {type(segment).__name__}")
    return segment._live()


class Notifier:
    """The signalling side of the event whose count word is at ``offset`` in ``segment``.

    Raises ``AccessDenied`` if the segment is held without WRITE (granted ``read``: it can only listen), and
    ``TrindleError`` (``TRINDLE_E_INVALID``) for an offset that is not an aligned word inside the segment. Any number
    of threads may signal at once. The segment must stay open while the notifier is used.
    """

    def __init__(self, segment: Segment, offset: int = 0) -> None:
        self.segment = segment
        self.offset = offset
        self._handle: Optional[int] = None
        handle = ctypes.c_void_p()
        code = _lib.trindle_event_notifier_open(_segment_handle(segment, "notifier"), offset, ctypes.byref(handle))
        if code < 0:
            raise _named(code, segment)
        self._handle = handle.value

    def signal(self) -> int:
        """Adds 1 to the count (release order) and wakes every listener asleep on it: one system call, whether
        anyone sleeps or not. Returns the count after this signal (modulo 2**32)."""
        count = ctypes.c_uint32()
        check(_lib.trindle_event_signal(self._live(), ctypes.byref(count)))
        return count.value

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"the notifier on segment {self.segment.name!r} is closed")
        return self._handle

    def close(self) -> None:
        """Frees the notifier; the segment stays mapped."""
        if self._handle is not None:
            _lib.trindle_event_notifier_close(self._handle)
            self._handle = None

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False

    def __repr__(self) -> str:
        return f"Notifier(segment={self.segment.name!r}, offset={self.offset})"


class Listener:
    """The waiting side of the event whose count word is at ``offset`` in ``segment``, counting from the count there
    when it opens (signals made before are not counted). Needs only READ.

    For one thread at a time: it keeps the count it last saw (``seen``). The library releases the GIL while it
    waits. The segment must stay open while the listener is used.
    """

    def __init__(self, segment: Segment, offset: int = 0) -> None:
        self.segment = segment
        self.offset = offset
        self._handle: Optional[int] = None
        handle = ctypes.c_void_p()
        code = _lib.trindle_event_listener_open(_segment_handle(segment, "listener"), offset, ctypes.byref(handle))
        if code < 0:
            raise _named(code, segment)
        self._handle = handle.value

    def poll(self) -> int:
        """How many signals came since the last look (0 if none), without waiting; they count as seen from now."""
        signals = ctypes.c_uint32()
        check(_lib.trindle_event_poll(self._live(), ctypes.byref(signals)))
        return signals.value

    def wait(self, timeout: Optional[float] = None) -> int:
        """Waits until at least one signal came since the last look, up to ``timeout`` seconds (None: no limit, 0:
        do not wait), and returns how many came; 0 if none came in time. Wake-ups that bring no signal are waited
        through. A notifier that died simply signals no more: wait with a timeout where that matters."""
        signals = ctypes.c_uint32()
        code = _lib.trindle_event_wait(self._live(), _native.nanos(timeout), ctypes.byref(signals))
        if code < 0:
            exception = error(code)
            if isinstance(exception, Timeout):
                return 0
            raise exception
        return signals.value

    @property
    def seen(self) -> int:
        """The count this listener last saw."""
        return _lib.trindle_event_seen(self._live())

    @property
    def address(self) -> int:
        """The count word's address in this process (as /proc/PID/task/TID/syscall shows a thread asleep on it)."""
        return self.segment.address + self.offset

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"the listener on segment {self.segment.name!r} is closed")
        return self._handle

    def close(self) -> None:
        """Frees the listener; the segment stays mapped."""
        if self._handle is not None:
            _lib.trindle_event_listener_close(self._handle)
            self._handle = None

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False

    def __repr__(self) -> str:
        return f"Listener(segment={self.segment.name!r}, offset={self.offset})"


def _named(code: int, segment: Segment) -> Exception:
    """The exception for a refused open, its text led by the segment's name in the config when it has one."""
    exception = error(code)
    if segment.name is not None:
        detail = f"segment {segment.name!r}: {exception.detail}"
        exception = type(exception)(exception.code, detail, exception.errno)
    return exception
