"""Pipes: lane senders, pipe senders, receivers, inboxes with their messages, and outboxes.

The classes a worker gets from a connection (``t.sender(name)``, ``t.receiver()``) belong to the connection;
the ``open`` class methods make stand-alone ones over fds, which the caller owns and closes (useful in tests and
in tools). Timeouts are seconds (``None``: no limit, ``0``: do not wait).
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple, Optional, Union

from . import _native
from .errors import check, error
from .rights import Rights

if TYPE_CHECKING:
    Buffer = Union[bytes, bytearray, memoryview]

_lib = _native.lib
END_OF_STREAM: int = _native.END_OF_STREAM
"""What a receive or exchange returns once every input has ended (``TRINDLE_END_OF_STREAM``)."""


class Attachment(NamedTuple):
    """One handle a message carries, as its sender declared it (kind: OBJECT_*, rights: ``Rights``)."""

    kind: int
    rights: Rights
    size: int


class LaneInfo(NamedTuple):
    """What a receiver knows of one lane (state: LANE_OPEN, LANE_ENDED or LANE_CORRUPT)."""

    pipe_id: int
    lane_id: int
    state: int
    position: int
    released: int
    fault: Optional[str]


class Claim:
    """Room claimed in a lane: write into ``payload`` (a writable memoryview into shared memory), then
    ``commit()`` or ``abort()``. As a context manager it commits on success and aborts on an exception."""

    __slots__ = ("_lane", "_claim", "payload")

    def __init__(self, lane: int, claim: _native.Claim) -> None:
        self._lane = lane
        self._claim = claim
        self.payload: memoryview = _native.memory(claim.payload, claim.length, True)

    @property
    def position(self) -> int:
        """The record's position in the lane: the receiver sees it as the message's sequence."""
        return self._claim.position

    def commit(self) -> None:
        self.payload.release()
        check(_lib.trindle_lane_sender_commit(self._lane, ctypes.byref(self._claim)))

    def abort(self) -> None:
        self.payload.release()
        check(_lib.trindle_lane_sender_abort(self._lane, ctypes.byref(self._claim)))

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, kind: Optional[type], value: Optional[BaseException], traceback: Any) -> bool:
        if kind is None:
            self.commit()
        else:
            self.abort()
        return False


class LaneSender:
    """The sending end of one lane. ``LaneSender.open(fd)`` owns its fd; ``PipeSender.lane()`` lends one."""

    def __init__(self, handle: int, owned: bool) -> None:
        self._handle = handle
        self._owned = owned

    @classmethod
    def open(cls, fd: int) -> LaneSender:
        """Maps lane memfd ``fd`` (a pipe handle with SEND) and checks its header; the sender then owns the fd."""
        handle = ctypes.c_void_p()
        check(_lib.trindle_lane_sender_open(fd, ctypes.byref(handle)))
        return cls(handle.value, True)

    def _live(self):
        if self._handle is None:
            raise ValueError("the lane sender is closed")
        return self._handle

    @property
    def pipe_id(self) -> int:
        return _lib.trindle_lane_sender_pipe_id(self._live())

    @property
    def lane_id(self) -> int:
        return _lib.trindle_lane_sender_lane_id(self._live())

    @property
    def capacity(self) -> int:
        return _lib.trindle_lane_sender_capacity(self._live())

    @property
    def max_payload_length(self) -> int:
        return _lib.trindle_lane_sender_max_payload_length(self._live())

    def send(self, data: Buffer, timeout: Optional[float] = None) -> None:
        """Copies ``data`` (bytes-like) into the lane, waiting up to ``timeout`` s for room (raises Timeout)."""
        pointer, length, _keep = _native.address_of(data)
        code = _lib.trindle_lane_sender_send(self._live(), pointer, length, _native.nanos(timeout))
        if code != 0:
            raise error(code)

    def try_send(self, data: Buffer) -> bool:
        """Sends ``data`` if the lane has room now; returns False if it has not (nothing was sent)."""
        pointer, length, _keep = _native.address_of(data)
        code = _lib.trindle_lane_sender_try_send(self._live(), pointer, length)
        if code == _native.E_FULL:
            return False
        check(code)
        return True

    def claim(self, length: int, timeout: Optional[float] = None) -> Claim:
        """Claims room for a ``length``-byte message, waiting up to ``timeout`` s; returns a Claim to fill."""
        claim = _native.Claim()
        check(_lib.trindle_lane_sender_claim_wait(self._live(), length, _native.nanos(timeout), ctypes.byref(claim)))
        return Claim(self._handle, claim)

    def end_stream(self) -> None:
        """Ends the stream (the lane's ended word: it never waits); nothing can be sent afterwards."""
        check(_lib.trindle_lane_sender_end_stream(self._live()))

    def close(self) -> None:
        """Ends the stream, unmaps the lane and closes its fd (only for a sender made by open)."""
        if self._owned and self._handle is not None:
            _lib.trindle_lane_sender_close(self._handle)
        self._handle = None

    def __enter__(self) -> LaneSender:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False


class PipeSender:
    """A pipe this worker may send on (a grant with SEND): one lane per receiving replica, round-robin or by key."""

    def __init__(self, handle: int, connection: Any) -> None:
        self._handle = handle
        self._connection = connection

    def _live(self):
        self._connection._live()
        return self._handle

    @property
    def name(self) -> str:
        return _lib.trindle_pipe_sender_name(self._live()).decode()

    @property
    def replicas(self) -> int:
        return _lib.trindle_pipe_sender_replicas(self._live())

    @property
    def by_key(self) -> bool:
        return bool(_lib.trindle_pipe_sender_by_key(self._live()))

    @property
    def max_payload_length(self) -> int:
        return _lib.trindle_pipe_sender_max_payload_length(self._live())

    def send(self, data: Buffer, key: Optional[int] = None, timeout: Optional[float] = None) -> None:
        """Copies ``data`` (bytes, bytearray, memoryview…) into the next replica's lane — or, given a ``key``
        (an int below 2**64), into the lane of the replica that key belongs to — waiting up to ``timeout`` s for
        room. Raises Timeout (nothing sent) or another TrindleError."""
        pointer, length, _keep = _native.address_of(data)
        if key is None:
            code = _lib.trindle_pipe_sender_send(self._live(), pointer, length, _native.nanos(timeout))
        else:
            code = _lib.trindle_pipe_sender_send_key(self._live(), key, pointer, length, _native.nanos(timeout))
        if code != 0:
            raise error(code)

    def lane(self, key: int = 0) -> LaneSender:
        """The lane the next message goes to (by key, or the next in turn), for zero-copy ``claim``."""
        return LaneSender(_lib.trindle_pipe_sender_lane(self._live(), key), False)

    def end_streams(self) -> None:
        """Ends the stream on every lane of the pipe (final: the receivers downstream see the end; never waits)."""
        check(_lib.trindle_pipe_sender_end_streams(self._live()))


class Message:
    """One received message, read in place in its lane.

    ``data`` is a read-only memoryview of the payload, with no copy: valid until the message is released (by the
    next exchange or receive into its inbox, or ``inbox.release()``), after which it raises ValueError. Slices
    taken of it are not guarded: copy what you keep (``bytes()``). ``pipe_id``, ``lane_id`` (one lane per sending
    process) and ``sequence`` (its position in the lane) say where it came from; ``(lane_id, sequence)``
    recognises a message delivered again after a restart.
    """

    __slots__ = ("_struct", "data", "pipe_id", "lane_id", "sequence", "attachment_count", "attachment_token")

    def __init__(self, address: int) -> None:
        struct = _native.Message.from_address(address)
        self._struct = struct
        self.data: memoryview = _native.memory(struct.payload, struct.length, False)
        self.pipe_id: int = struct.pipe_id
        self.lane_id: int = struct.lane_id
        self.sequence: int = struct.sequence
        self.attachment_count: int = struct.attachment_count
        self.attachment_token: int = struct.attachment_token

    def bytes(self) -> bytes:
        """A copy of the payload, to keep after the message is released."""
        return self.data.tobytes()

    def __len__(self) -> int:
        return self.data.nbytes

    @property
    def attachments(self) -> list[Attachment]:
        """The handles the message carries, as declared by its sender: a list of Attachment(kind, rights, size)
        (empty for most messages). Redeem them with ``Connection.take``."""
        struct = self._live()
        found = []
        attachment = _native.Attachment()
        for i in range(self.attachment_count):
            check(_lib.trindle_message_attachment(struct, i, ctypes.byref(attachment)))
            found.append(Attachment(attachment.kind, Rights(attachment.rights), attachment.size))
        return found

    @property
    def released(self) -> bool:
        return self._struct is None

    def _live(self):
        if self._struct is None:
            raise ValueError(f"message lane={self.lane_id} sequence={self.sequence} was released")
        return self._struct

    def _invalidate(self):
        self._struct = None
        self.data.release()

    def __repr__(self) -> str:
        state = "released" if self._struct is None else f"length={self.data.nbytes}"
        return f"Message(pipe_id={self.pipe_id:#x}, lane_id={self.lane_id}, sequence={self.sequence}, {state})"


class Inbox:
    """A batch of received messages: ``len(inbox)``, ``inbox[i]``, ``for message in inbox``. Filled by an
    exchange (which first releases the batch before) or a receive (which adds to it), released by
    ``release()`` or by the next exchange."""

    def __init__(self, capacity: int = 256) -> None:
        handle = ctypes.c_void_p()
        check(_lib.trindle_inbox_create(capacity, ctypes.byref(handle)))
        self._handle = handle.value
        self._messages = []

    @property
    def capacity(self) -> int:
        return _lib.trindle_inbox_capacity(self._live())

    def _live(self):
        if self._handle is None:
            raise ValueError("the inbox is destroyed")
        return self._handle

    def __len__(self) -> int:
        return _lib.trindle_inbox_size(self._live())

    def __getitem__(self, index: int) -> Message:
        if index < 0:
            index += len(self)
        address = _lib.trindle_inbox_message(self._live(), index)
        if not address:
            raise IndexError(f"index={index}, size={len(self)}")
        message = Message(address)
        self._messages.append(message)
        return message

    def __iter__(self) -> Iterator[Message]:
        handle = self._live()
        messages = self._messages
        for i in range(_lib.trindle_inbox_size(handle)):
            message = Message(_lib.trindle_inbox_message(handle, i))
            messages.append(message)
            yield message

    def release(self) -> None:
        """Releases every message of the batch back to its lane and empties the batch."""
        self._invalidate()
        check(_lib.trindle_inbox_release(self._live()))

    def _invalidate(self):
        for message in self._messages:
            message._invalidate()
        self._messages.clear()

    def destroy(self) -> None:
        """Frees the inbox; messages it holds are not released (they stay in their lanes)."""
        if self._handle is not None:
            self._invalidate()
            _lib.trindle_inbox_destroy(self._handle)
            self._handle = None

    def __del__(self):
        self.destroy()


class Outbox:
    """Messages to send at the next exchange, copied in as they are added (the caller may reuse its bytes)."""

    def __init__(self, max_messages: int = 256, max_bytes: int = 1 << 20) -> None:
        handle = ctypes.c_void_p()
        check(_lib.trindle_outbox_create(max_messages, max_bytes, ctypes.byref(handle)))
        self._handle = handle.value

    def _live(self):
        if self._handle is None:
            raise ValueError("the outbox is destroyed")
        return self._handle

    def add(self, pipe: PipeSender, data: Buffer, key: Optional[int] = None) -> None:
        """Adds a message for ``pipe`` (a PipeSender), to the replica of ``key`` if given. Raises Full if the
        outbox has no room left (exchange first)."""
        pointer, length, _keep = _native.address_of(data)
        if key is None:
            code = _lib.trindle_outbox_add(self._live(), pipe._live(), pointer, length)
        else:
            code = _lib.trindle_outbox_add_key(self._live(), pipe._live(), key, pointer, length)
        if code != 0:
            raise error(code)

    def __len__(self) -> int:
        return _lib.trindle_outbox_size(self._live())

    def send_all(self, timeout: Optional[float] = None) -> None:
        """Sends every message in order; on failure the outbox keeps those not sent (the failed one first)."""
        check(_lib.trindle_outbox_send_all(self._live(), _native.nanos(timeout)))

    def destroy(self) -> None:
        """Frees the outbox; unsent messages are dropped."""
        if self._handle is not None:
            _lib.trindle_outbox_destroy(self._handle)
            self._handle = None

    def __del__(self):
        self.destroy()


class PipeReceiver:
    """Reads the lanes of one or several pipes. ``PipeReceiver.open(fds)`` owns its fds; a connection's
    ``receiver()`` belongs to the connection."""

    def __init__(self, handle: int, connection: Any) -> None:
        self._handle = handle
        self._connection = connection

    @classmethod
    def open(cls, fds: Iterable[int] = ()) -> PipeReceiver:
        """A receiver over the lane memfds ``fds`` (handles with RECEIVE), which it then owns."""
        handle = ctypes.c_void_p()
        check(_lib.trindle_pipe_receiver_open(ctypes.byref(handle)))
        receiver = cls(handle.value, None)
        try:
            for fd in fds:
                receiver.add_lane(fd)
        except BaseException:
            receiver.close()
            raise
        return receiver

    def _live(self):
        if self._connection is not None:
            self._connection._live()
        if self._handle is None:
            raise ValueError("the receiver is closed")
        return self._handle

    def add_lane(self, fd: int) -> int:
        """Adds lane memfd ``fd`` (owned by the receiver from now on); returns its index."""
        return check(_lib.trindle_pipe_receiver_add_lane(self._live(), fd))

    @property
    def lanes(self) -> list[LaneInfo]:
        """A LaneInfo per lane, in the order they were added."""
        handle = self._live()
        info = _native.LaneInfo()
        found = []
        for i in range(_lib.trindle_pipe_receiver_lane_count(handle)):
            check(_lib.trindle_pipe_receiver_lane_info(handle, i, ctypes.byref(info)))
            found.append(
                LaneInfo(
                    info.pipe_id,
                    info.lane_id,
                    info.state,
                    info.position,
                    info.released,
                    info.fault.decode("utf-8", "replace") if info.fault else None,
                )
            )
        return found

    def poll(self, inbox: Inbox) -> int:
        """Adds to ``inbox`` (empty, or holding this receiver's messages) what is waiting now; returns the count
        added, or END_OF_STREAM. Raises CorruptLane once per broken lane (call again: the other lanes go on).
        Release the batch (``inbox.release()``) when done with it."""
        code = _lib.trindle_pipe_receiver_poll(self._live(), inbox._live())
        return code if code >= 0 or code == END_OF_STREAM else check(code)

    def receive(self, inbox: Inbox, timeout: Optional[float] = None) -> int:
        """As poll, waiting up to ``timeout`` s for at least one message (0 if none came)."""
        code = _lib.trindle_pipe_receiver_receive(self._live(), inbox._live(), _native.nanos(timeout))
        return code if code >= 0 or code == END_OF_STREAM else check(code)

    def release(self, message: Message) -> None:
        """Releases ``message`` and everything before it in its lane."""
        check(_lib.trindle_pipe_receiver_release(self._live(), message._live()))

    def unblock(self, index: int) -> bool:
        """Clears a record on lane ``index`` claimed by a sender that died mid-send; returns whether it did."""
        return check(_lib.trindle_pipe_receiver_unblock(self._live(), index)) == 1

    def close(self) -> None:
        """Unmaps every lane and closes their fds (only for a receiver made by open)."""
        if self._connection is None and self._handle is not None:
            _lib.trindle_pipe_receiver_close(self._handle)
        self._handle = None

    def __enter__(self) -> PipeReceiver:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False
