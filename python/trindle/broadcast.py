"""Broadcasts (docs/broadcast-format.md): one writer's messages, read by any number of readers, each at its own pace,
over libtrindle's broadcast.

    prices = t.broadcast_writer("prices")          # a worker granted `prices: send`
    sequence = prices.send(b"EUR 1.08")

    prices = t.broadcast_reader("prices")          # a worker granted `prices: read`
    prices.join()                                  # from now; join(from_oldest=True) from the oldest message kept
    for sequence, data in prices:                  # until the writer ends the stream
        ...
    prices.lost                                    # messages the writer lapped this reader by (policy lap only)

A reader maps the ring read-only: the kernel refuses it any write, so no reader can disturb another. Under the
slowest-reader policy the writer waits for the slowest joined reader; under lap it never waits, and a reader a whole
ring behind goes on from the oldest message still there, counting exactly what it lost. A writer or a reader is for
one thread at a time.
"""

from __future__ import annotations

import ctypes
from typing import Any, Iterator, Optional

from . import _native
from .errors import TrindleError, error

_lib = _native.lib


class BroadcastWriterGone(TrindleError):
    """TRINDLE_E_ENDED from a read: everything the writer sent was read, and its process exited without ending the
    stream. A restarted writer carries on: reading again later may bring more."""


class CorruptBroadcast(TrindleError):
    """TRINDLE_E_CORRUPT from a broadcast: a record or the ring's header breaks the format; the detail names the field,
    its value and the position. The reader reads no more."""


def _check(code: int) -> int:
    if code >= 0:
        return code
    failure = error(code)
    if code == _native.E_ENDED:
        raise BroadcastWriterGone(code, failure.detail, failure.errno)
    if code == _native.E_CORRUPT:
        raise CorruptBroadcast(code, failure.detail, failure.errno)
    raise failure


class BroadcastWriter:
    """The writing end of a broadcast: granted to a worker (``t.broadcast_writer(name)``, which the connection
    holds), or opened from fds by ``open``. Closing it ends the stream. Use it as a context manager."""

    def __init__(self, handle: int, name: Optional[str] = None, owner: Any = None) -> None:
        self._handle: Optional[int] = handle
        self._owner = owner
        self.name: Optional[str] = name
        self.max_payload_length: int = _lib.trindle_broadcast_writer_max_payload_length(handle)

    @classmethod
    def open(cls, ring_fd: int, cursor_fds: list[int]) -> BroadcastWriter:
        """A writer over a ring file (read-write) and one cursor file per reader slot, without a supervisor (for
        tests and tools). Takes the fds, also on failure."""
        fds = (ctypes.c_int * max(len(cursor_fds), 1))(*cursor_fds)
        handle = ctypes.c_void_p()
        _check(_lib.trindle_broadcast_writer_open(ring_fd, fds, len(cursor_fds), ctypes.byref(handle)))
        return cls(handle.value)

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"the broadcast writer {self.name or ''} is closed")
        return self._handle

    def send(self, data: Any, timeout: Optional[float] = None) -> int:
        """Sends ``data`` (bytes-like, at most ``max_payload_length`` bytes) as the next message; returns its sequence
        number (0 for the broadcast's first). Under slowest-reader it waits up to ``timeout`` s (None: without limit)
        for the slowest joined reader: raises Timeout (nothing sent; the detail names the reader) when it did not
        move in time. Raises TrindleError (TRINDLE_E_ENDED) after ``end``."""
        pointer, length, keep = _native.address_of(data)
        sequence = ctypes.c_uint64()
        _check(
            _lib.trindle_broadcast_send(self._live(), pointer, length, _native.nanos(timeout), ctypes.byref(sequence))
        )
        del keep
        return sequence.value

    def end(self) -> None:
        """Ends the stream: readers read what was sent, then find its end. Nothing more can be sent."""
        _check(_lib.trindle_broadcast_end(self._live()))

    def close(self) -> None:
        """Ends the stream; a writer opened by ``open`` is unmapped too (a granted one stays the connection's)."""
        if self._handle is not None:
            _lib.trindle_broadcast_writer_close(self._handle)
            self._handle = None

    def __enter__(self) -> BroadcastWriter:
        return self

    def __exit__(self, *exception: Any) -> None:
        self.close()


class BroadcastReader:
    """A reader of a broadcast: granted to a worker (``t.broadcast_reader(name)``, which the connection holds), or
    opened from fds by ``open``. It reads nothing until it joins. Use it as a context manager: closing leaves."""

    def __init__(self, handle: int, name: Optional[str] = None, owner: Any = None) -> None:
        self._handle: Optional[int] = handle
        self._owner = owner
        self.name: Optional[str] = name
        self.max_payload_length: int = _lib.trindle_broadcast_reader_max_payload_length(handle)
        self._buffer = ctypes.create_string_buffer(max(self.max_payload_length, 1))
        self._length = ctypes.c_uint32()
        self._sequence = ctypes.c_uint64()

    @classmethod
    def open(cls, ring_fd: int, cursor_fd: int) -> BroadcastReader:
        """A reader over a ring file (read-only suffices) and its own cursor file (read-write), without a supervisor
        (for tests and tools). Takes the fds, also on failure."""
        handle = ctypes.c_void_p()
        _check(_lib.trindle_broadcast_reader_open(ring_fd, cursor_fd, ctypes.byref(handle)))
        return cls(handle.value)

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"the broadcast reader {self.name or ''} is closed")
        return self._handle

    def join(self, from_oldest: bool = False) -> None:
        """Joins from now (the next message sent) or, with ``from_oldest``, from the oldest message still in the
        ring. From here on a slowest-reader writer waits for this reader. Messages passed over are not lost ones."""
        start = _native.BROADCAST_FROM_OLDEST if from_oldest else _native.BROADCAST_FROM_NOW
        _check(_lib.trindle_broadcast_join(self._live(), start))

    def read(self, timeout: Optional[float] = None) -> Optional[tuple[int, bytes]]:
        """The next message as (sequence, bytes), waiting up to ``timeout`` s (None: without limit); None once the
        writer ended the stream and everything was read. Raises Timeout when nothing came in time,
        BroadcastWriterGone when the writer's process is gone without ending it, CorruptBroadcast."""
        code = _lib.trindle_broadcast_read(
            self._live(),
            self._buffer,
            len(self._buffer),
            ctypes.byref(self._length),
            ctypes.byref(self._sequence),
            _native.nanos(timeout),
        )
        if code == _native.END_OF_STREAM:
            return None
        _check(code)
        # string_at copies the message alone; .raw would copy the whole buffer (an eighth of the ring) first.
        return self._sequence.value, ctypes.string_at(self._buffer, self._length.value)

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        """Every message as (sequence, bytes), until the end of the stream."""
        while True:
            message = self.read()
            if message is None:
                return
            yield message

    @property
    def lost(self) -> int:
        """How many messages the writer lapped this reader by (policy lap), since it opened."""
        return _lib.trindle_broadcast_lost(self._live())

    @property
    def delivered(self) -> int:
        """How many messages this reader was given since it opened."""
        return _lib.trindle_broadcast_delivered(self._live())

    @property
    def ring_fd(self) -> int:
        """The ring's fd, still the reader's: read-only (for inspection)."""
        return _lib.trindle_broadcast_ring_fd(self._live())

    def leave(self) -> None:
        """Leaves: the writer waits for this reader no more. ``join`` again to read on."""
        _check(_lib.trindle_broadcast_leave(self._live()))

    def close(self) -> None:
        """Leaves; a reader opened by ``open`` is unmapped too (a granted one stays the connection's)."""
        if self._handle is not None:
            _lib.trindle_broadcast_reader_close(self._handle)
            self._handle = None

    def __enter__(self) -> BroadcastReader:
        return self

    def __exit__(self, *exception: Any) -> None:
        self.close()
