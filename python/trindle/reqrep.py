"""Request-response over a pair of pipes (docs/request-response.md): a Requester sends requests on one pipe and
receives their replies on another, matched by correlation id; a Responder answers each request on the reply pipe
paired with the pipe it came through.

    requester = trindle.Requester(t, "requests", "replies", max_in_flight=16)
    reply = requester.call(b"question", timeout=1.0)        # one at a time; reply.data, reply.id
    id = requester.send(b"another", timeout=1.0)             # or several in flight
    reply = requester.receive()                              # the next reply, any of them

    responder = trindle.Responder(t).pair("requests", "replies")
    for message in t.messages(...):
        responder.reply(message, answer(Responder.payload(message)))

The constants are the header's layout, as in trindle-request-layout.h (TRINDLE_REQUEST_X) and Java's
io.trindle.runtime.RequestDescriptor (X): HeaderConstantsTest holds the three equal.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Optional

from . import _native
from .errors import Timeout, TrindleError, check, error

if TYPE_CHECKING:
    from .pipes import Message
    from .worker import Connection

_lib = _native.lib

# The header before each request and reply: little-endian, the payload after it.
ID_OFFSET = 0
"""Where the correlation id lies (u64): chosen by the requester, echoed by the reply."""
KIND_OFFSET = 8
"""Where the kind lies (u16): KIND_REQUEST or KIND_REPLY."""
VERSION_OFFSET = 10
"""Where the version lies (u16): VERSION."""
RESERVED_OFFSET = 12
"""Four bytes written 0 and not read: they keep the payload 8-byte aligned within the message."""
HEADER_LENGTH = 16
"""The header's length: the payload starts here."""
KIND_REQUEST = 1
KIND_REPLY = 2
VERSION = 1


class RequestTimeout(Timeout):
    """TRINDLE_E_TIMEOUT from a requester: no reply came within the request's timeout (or the request pipe had no
    room for it). ``pipe`` is the request pipe, ``id`` the request's correlation id. The request is forgotten: a
    reply to it that comes later is dropped."""

    def __init__(self, cause: TrindleError, pipe: str, id: int) -> None:
        super().__init__(cause.code, cause.detail, cause.errno)
        self.pipe: str = pipe
        self.id: int = id


class ResponderGone(TrindleError):
    """TRINDLE_E_ENDED from a requester: the reply pipe ended — the supervisor ends the responder's lane once the
    responder will not run again — so no request in flight will be answered. ``pipe`` is the request pipe, ``id``
    the oldest request left unanswered (0 if none was in flight)."""

    def __init__(self, cause: TrindleError, pipe: str, id: int) -> None:
        super().__init__(cause.code, cause.detail, cause.errno)
        self.pipe: str = pipe
        self.id: int = id


class Reply:
    """A reply: ``id`` (the correlation id of the request it answers) and ``data``, a read-only memoryview of the
    responder's payload in the lane — valid until the requester's next ``receive`` or ``call`` (copy what you keep
    with ``bytes()``)."""

    __slots__ = ("id", "data")

    def __init__(self, struct: _native.Reply) -> None:
        self.id: int = struct.id
        self.data: memoryview = _native.memory(struct.payload, struct.length, False)

    def bytes(self) -> bytes:
        return self.data.tobytes()

    def __repr__(self) -> str:
        return f"Reply(id={self.id:#x}, length={self.data.nbytes})"


class Requester:
    """Sends requests on ``request_pipe`` (granted ``send``) and receives their replies on ``reply_pipe`` (granted
    ``receive``: the worker's only input — a message from another pipe is rejected). At most ``max_in_flight``
    requests wait for replies at once. One thread at a time."""

    def __init__(self, connection: Connection, request_pipe: str, reply_pipe: str, max_in_flight: int = 16) -> None:
        handle = ctypes.c_void_p()
        check(
            _lib.trindle_requester_open(
                connection._live(), request_pipe.encode(), reply_pipe.encode(), max_in_flight, ctypes.byref(handle)
            )
        )
        self._handle: Optional[int] = handle.value
        self._connection = connection
        self.request_pipe: str = request_pipe
        self.reply_pipe: str = reply_pipe
        self._struct = _native.Reply()
        self._last: Optional[Reply] = None

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"the requester on '{self.request_pipe}' is closed")
        return self._handle

    def _raise(self, code: int) -> TrindleError:
        cause = error(code)
        if code == _native.E_TIMEOUT:
            return RequestTimeout(cause, self.request_pipe, self._struct.id)
        if code == _native.E_ENDED:
            return ResponderGone(cause, self.request_pipe, self._struct.id)
        return cause

    def _forget_last(self) -> None:
        # The last reply's bytes are released by the exchange the next receive makes: its view goes first.
        if self._last is not None:
            self._last.data.release()
            self._last = None

    def send(self, data: Any, timeout: Optional[float] = None) -> int:
        """Sends a request (bytes-like), waiting up to ``timeout`` s for room; its reply is due within the same time
        from now (None: no limit). Returns its correlation id. Raises Full when max_in_flight requests are in flight
        (receive first), RequestTimeout when the pipe had no room in time, ResponderGone when the responder is gone
        already."""
        pointer, length, _keep = _native.address_of(data)
        sent = ctypes.c_uint64()
        self._struct.id = 0
        code = _lib.trindle_requester_send(self._live(), pointer, length, _native.nanos(timeout), ctypes.byref(sent))
        if code != 0:
            raise self._raise(code)
        return sent.value

    def receive(self, wait: Optional[float] = None) -> Optional[Reply]:
        """Waits up to ``wait`` s (None: no limit) for the reply to any request in flight: a Reply, or None if none
        came in time or none is in flight. Raises RequestTimeout when a request in flight passed its timeout first,
        ResponderGone when the responder is gone (every request in flight is forgotten)."""
        self._forget_last()
        code = _lib.trindle_requester_receive(self._live(), _native.nanos(wait), ctypes.byref(self._struct))
        if code < 0:
            raise self._raise(code)
        if code == 0:
            return None
        self._last = Reply(self._struct)
        return self._last

    def call(self, data: Any, timeout: Optional[float] = None) -> Reply:
        """Sends a request and waits for its reply, for one request at a time. Raises RequestTimeout when no reply
        came within ``timeout`` s, ResponderGone when the responder is gone."""
        self._forget_last()
        pointer, length, _keep = _native.address_of(data)
        self._struct.id = 0
        code = _lib.trindle_requester_call(
            self._live(), pointer, length, _native.nanos(timeout), ctypes.byref(self._struct)
        )
        if code != 0:
            raise self._raise(code)
        self._last = Reply(self._struct)
        return self._last

    @property
    def in_flight(self) -> int:
        """How many requests are in flight: sent, and not yet answered, timed out or failed."""
        return _lib.trindle_requester_in_flight(self._live())

    @property
    def dropped(self) -> int:
        """How many replies were dropped: late (their request timed out) or repeated."""
        return _lib.trindle_requester_dropped(self._live())

    def close(self) -> None:
        self._forget_last()
        if self._handle is not None:
            _lib.trindle_requester_close(self._handle)
            self._handle = None

    def __enter__(self) -> Requester:
        return self

    def __exit__(self, *exception: Any) -> None:
        self.close()


class Responder:
    """Answers requests: each requester has a pipe pair of its own, paired here with ``pair``; a reply goes on the
    reply pipe paired with the pipe its request came through, at once (before the next exchange releases the
    request). The worker receives as any worker does (``exchange``, ``batches``, ``messages``)."""

    def __init__(self, connection: Connection) -> None:
        handle = ctypes.c_void_p()
        check(_lib.trindle_responder_open(connection._live(), ctypes.byref(handle)))
        self._handle: Optional[int] = handle.value

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError("the responder is closed")
        return self._handle

    def pair(self, request_pipe: str, reply_pipe: str) -> Responder:
        """Pairs a request pipe (granted ``receive``) with its reply pipe (granted ``send``); returns self."""
        check(_lib.trindle_responder_pair(self._live(), request_pipe.encode(), reply_pipe.encode()))
        return self

    def request_id(self, message: Message) -> int:
        """The correlation id of a request. Raises TrindleError (TRINDLE_E_FORMAT) if ``message`` is not a request
        (not from a paired pipe, or without a request's header): reject it, and its sender gets it back."""
        id = ctypes.c_uint64()
        check(_lib.trindle_responder_request(self._live(), message._live(), ctypes.byref(id)))
        return id.value

    @staticmethod
    def payload(message: Message) -> memoryview:
        """The request's payload: the message's data after the header (a view, valid as the message is)."""
        return message.data[HEADER_LENGTH:]

    def reply(self, request: Message, data: Any, timeout: Optional[float] = None) -> None:
        """Sends the reply to ``request`` on the reply pipe paired with its pipe, waiting up to ``timeout`` s for room
        (raises Timeout: nothing was sent)."""
        pointer, length, _keep = _native.address_of(data)
        check(_lib.trindle_responder_reply(self._live(), request._live(), pointer, length, _native.nanos(timeout)))

    def reply_to(self, request_pipe: str, id: int, data: Any, timeout: Optional[float] = None) -> None:
        """Sends a reply to the request of correlation id ``id`` that came through ``request_pipe``: for an answer
        given after the request was released."""
        pointer, length, _keep = _native.address_of(data)
        check(
            _lib.trindle_responder_reply_to(
                self._live(), request_pipe.encode(), id, pointer, length, _native.nanos(timeout)
            )
        )

    def close(self) -> None:
        if self._handle is not None:
            _lib.trindle_responder_close(self._handle)
            self._handle = None

    def __enter__(self) -> Responder:
        return self

    def __exit__(self, *exception: Any) -> None:
        self.close()
