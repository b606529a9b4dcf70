"""The worker's connection to its supervisor: connect, grants by name, ready, stop, exchange, handles in motion
(send with handles, take, reject, bounces, create pipe, bundles), close."""

from __future__ import annotations

import ctypes
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from . import _native
from .allocators import Allocator, Notice
from .broadcast import BroadcastReader, BroadcastWriter
from .broadcast import _check as _broadcast_check
from .errors import CorruptLane, check, error, revoked
from .handles import Attach, Bounce, Handle, _bounce
from .pipes import END_OF_STREAM, Inbox, Outbox, PipeReceiver, PipeSender
from .segments import Segment
from .tables import Table, _check

if TYPE_CHECKING:
    from .checkpoint import Checkpoint
    from .pipes import Message

_lib = _native.lib


def connect(fd: Optional[int] = None) -> Connection:
    """Connects to the supervisor: reads the hello and every grant from the control channel (``fd``, else the
    fd in $TRINDLE_CONTROL_FD, else 3), checking every frame, and maps every lane and segment. Then call
    ``ready()``. Raises TrindleError (SupervisorGone if the channel closed first); on failure everything
    received is closed, the control fd too."""
    handle = ctypes.c_void_p()
    if fd is None:
        code = _lib.trindle_connect(ctypes.byref(handle))
    else:
        code = _lib.trindle_connect_fd(fd, ctypes.byref(handle))
    check(code)
    return Connection(handle.value)


class Connection:
    """A connected worker. Use it as a context manager: leaving the block normally closes it, which ends every
    output stream so the workers downstream finish too. Leaving it by an exception does *not* end them — an
    ended stream is final, and a failing worker should exit non-zero and be restarted on the same lanes; the
    kernel releases its mappings when the process exits."""

    def __init__(self, handle: int) -> None:
        self._handle = handle
        self._senders: dict[str, PipeSender] = {}
        self._segments: dict[str, Segment] = {}
        self._tables: dict[str, Table] = {}
        self._broadcasts: dict[str, BroadcastWriter | BroadcastReader] = {}
        self._receiver: Optional[PipeReceiver] = None
        self._allocators: dict[str, Allocator] = {}
        self._made: list[Segment] = []

    def _live(self):
        if self._handle is None:
            raise ValueError("the trindle connection is closed")
        return self._handle

    @property
    def pipeline(self) -> str:
        return _lib.trindle_pipeline(self._live()).decode()

    @property
    def worker(self) -> str:
        return _lib.trindle_worker(self._live()).decode()

    @property
    def replica(self) -> int:
        return _lib.trindle_replica(self._live())

    @property
    def replicas(self) -> int:
        return _lib.trindle_replicas(self._live())

    @property
    def control_fd(self) -> int:
        return _lib.trindle_control_fd(self._live())

    def sender(self, name: str) -> PipeSender:
        """The pipe granted SEND under ``name``; raises NotFound (listing the grants there are)."""
        sender = self._senders.get(name)
        if sender is None:
            handle = ctypes.c_void_p()
            check(_lib.trindle_sender(self._live(), name.encode(), ctypes.byref(handle)))
            sender = self._senders[name] = PipeSender(handle.value, self)
        return sender

    def receiver(self) -> PipeReceiver:
        """One receiver over every lane of every pipe granted RECEIVE; raises NotFound if there is none."""
        if self._receiver is None:
            handle = ctypes.c_void_p()
            check(_lib.trindle_receiver(self._live(), ctypes.byref(handle)))
            self._receiver = PipeReceiver(handle.value, self)
        return self._receiver

    def segment(self, name: str) -> Segment:
        """The segment granted under ``name``, mapped with its rights; raises NotFound, or Revoked once the
        supervisor revoked it."""
        segment = self._segments.get(name)
        if segment is None:
            handle = ctypes.c_void_p()
            code = _lib.trindle_segment(self._live(), name.encode(), ctypes.byref(handle))
            if code == _native.E_ACCESS:
                raise revoked()
            check(code)
            segment = self._segments[name] = Segment(handle.value, name, self)
        segment._live()
        return segment

    def table(self, name: str) -> Table:
        """The table granted under ``name``, mapped at connect: writable, with a writer slot this process holds until
        the connection closes, if the grant holds WRITE; read-only otherwise. It belongs to the connection. Raises
        NotFound (listing the grants there are)."""
        table = self._tables.get(name)
        if table is None:
            handle = ctypes.c_void_p()
            _check(_lib.trindle_granted_table(self._live(), name.encode(), ctypes.byref(handle)))
            table = self._tables[name] = Table(handle.value, name, self)
        return table

    def broadcast_writer(self, name: str) -> BroadcastWriter:
        """The broadcast granted under ``name`` with ``send`` (docs/broadcast-format.md), mapped at connect; it belongs
        to the connection, whose close ends its stream. Raises NotFound (listing the grants there are)."""
        writer = self._broadcasts.get(name)
        if not isinstance(writer, BroadcastWriter):
            handle = ctypes.c_void_p()
            _broadcast_check(_lib.trindle_broadcast_writer(self._live(), name.encode(), ctypes.byref(handle)))
            writer = self._broadcasts[name] = BroadcastWriter(handle.value, name, self)
        return writer

    def broadcast_reader(self, name: str) -> BroadcastReader:
        """The broadcast granted under ``name`` with ``read``, mapped at connect (the ring read-only); ``join`` it to
        read. It belongs to the connection, whose close makes it leave. Raises NotFound (listing the grants there
        are)."""
        reader = self._broadcasts.get(name)
        if not isinstance(reader, BroadcastReader):
            handle = ctypes.c_void_p()
            _broadcast_check(_lib.trindle_broadcast_reader(self._live(), name.encode(), ctypes.byref(handle)))
            reader = self._broadcasts[name] = BroadcastReader(handle.value, name, self)
        return reader

    def _follow_revocations(self) -> None:
        """Releases the memoryview of every granted segment libtrindle unmapped on a revoke, so that a view the
        worker kept raises ValueError instead of touching the unmapped range."""
        for segment in self._segments.values():
            if segment._handle is not None:
                segment._revoked()

    def allocator(self, name: str) -> Allocator:
        """The allocator granted under ``name`` (e.g. ``scratch: allocate``); raises NotFound (listing the
        allocators there are)."""
        allocator = self._allocators.get(name)
        if allocator is None:
            handle = ctypes.c_void_p()
            check(_lib.trindle_allocator(self._live(), name.encode(), ctypes.byref(handle)))
            allocator = self._allocators[name] = Allocator(handle.value, name)
        return allocator

    def create_segment(self, allocator: Allocator, size: int) -> Segment:
        """Asks the supervisor for a segment of ``size`` bytes (rounded up to whole pages) charged to
        ``allocator``, held with ALLOCATE; it comes mapped, with READ and WRITE (and DUPLICATE and TRANSFER).
        Give it back with ``release``. Raises OverQuota (the detail names the quota, the use and what was asked),
        TrindleError with E_ACCESS without ALLOCATE, NotFound if the allocator is not held; nothing is then made
        or charged."""
        handle = ctypes.c_void_p()
        check(_lib.trindle_allocator_create_segment(self._live(), allocator._live(), size, ctypes.byref(handle)))
        segment = Segment(handle.value, None, self)
        self._made.append(segment)
        return segment

    def create_table(
        self, allocator: Allocator, size: int, key_max: int = 0, value_max: int = 0, writer_count: int = 0
    ) -> Table:
        """Asks the supervisor for a table of at most ``size`` bytes (the most entries that fit, in whole pages)
        charged to ``allocator``, held with ALLOCATE, for keys of up to ``key_max`` bytes (0: 64), values of up to
        ``value_max`` (0: 256) and ``writer_count`` writers at once (0: 16). It comes mapped writable, with a writer
        slot of its own, held with READ, WRITE, DUPLICATE and TRANSFER; it is the caller's: ``release`` gives it
        back (only closed, it stays charged until this worker exits). Its fd holds this writer's
        liveness lock: never hand it to another process. Raises OverQuota (the detail names the quota, the use and
        what was asked), TrindleError (TRINDLE_E_INVALID) for sizes the supervisor refuses (the detail says why),
        AccessDenied without ALLOCATE, NotFound if the allocator is not held; nothing is then made or charged."""
        handle = ctypes.c_void_p()
        _check(
            _lib.trindle_allocator_create_table(
                self._live(), allocator._live(), size, key_max, value_max, writer_count, ctypes.byref(handle)
            )
        )
        return Table(handle.value)

    def create_allocator(self, parent: Allocator, quota: int) -> Allocator:
        """Asks the supervisor for a child of ``parent`` with ``quota`` bytes reserved from the parent's, with
        ALLOCATE, DUPLICATE and TRANSFER. Raises as ``create_segment``."""
        handle = ctypes.c_void_p()
        check(_lib.trindle_allocator_create_allocator(self._live(), parent._live(), quota, ctypes.byref(handle)))
        return Allocator(handle.value, None)

    def release(self, held: Segment | Allocator | Table) -> None:
        """Gives back a segment made by ``create_segment`` (unmapping it), a table made by ``create_table`` (closing
        it) or an allocator: the supervisor frees it once no process holds it, and its bytes return to its
        allocator. The object is gone here whatever the answer; raises NotFound if the supervisor did not count
        this worker among its holders."""
        if isinstance(held, Table):
            if held._owner is not None:
                raise ValueError(f"{held!r} is granted by the config: the connection keeps it, it is not released")
            handle = held._live()
            held._handle = None
            check(_lib.trindle_release_table(self._live(), handle))
            return
        if isinstance(held, Allocator):
            handle = held._live()
            held._handle = None
            self._allocators = {n: a for n, a in self._allocators.items() if a is not held}
            check(_lib.trindle_release_allocator(self._live(), handle))
            return
        if held not in self._made:
            raise ValueError(f"{held!r} was not made by create_segment on this connection")
        self._made.remove(held)
        handle = held._handle
        held.close()
        check(_lib.trindle_release_segment(self._live(), handle))

    def notices(self) -> list[Notice]:
        """The notices that arrived since the last call, in the order they came (a non-blocking look at the
        channel first). A notice waiting cuts an ``exchange`` wait short. For a ``NoticeKind.GRANTED`` the object
        is already kept under ``notice.details``: take it with ``segment(name)`` or ``allocator(name)``; for a
        ``NoticeKind.GIVE_BACK``, ``release`` what you can spare of what you made from that allocator."""
        notices = []
        notice = _native.Notice()
        while check(_lib.trindle_next_notice(self._live(), ctypes.byref(notice))) == 1:
            notices.append(Notice._of(notice))
        return notices

    def checkpoint(self, segment_name: str) -> Checkpoint:
        """Opens the checkpoint kept in the segment granted [read, write] under ``segment_name``, in this
        replica's region, restored (see trindle.checkpoint). The caller closes it; raises NotFound, or
        CorruptCheckpoint if its committed slot was written over."""
        from .checkpoint import Checkpoint

        return Checkpoint.open(self.segment(segment_name), self.replica, self.replicas)

    def input_name(self, message: Message) -> Optional[str]:
        """The config's name of the pipe ``message`` came through, or None."""
        name = _lib.trindle_input_name(self._live(), message._live())
        return None if name is None else name.decode()

    def ready(self) -> None:
        """Tells the supervisor this worker is set up (it kills one that does not within its ready-timeout)."""
        check(_lib.trindle_ready(self._live()))

    @property
    def stop_requested(self) -> bool:
        """Whether the supervisor asked this worker to stop (a non-blocking look at the channel, at most one
        system call every 10 ms). Raises SupervisorGone if the supervisor is gone."""
        stop = check(_lib.trindle_stop_requested(self._live())) == 1
        self._follow_revocations()
        return stop

    @staticmethod
    def outbox(max_messages: int = 256, max_bytes: int = 1 << 20) -> Outbox:
        """A new Outbox: messages added to it are sent by the next exchange."""
        return Outbox(max_messages, max_bytes)

    @staticmethod
    def inbox(capacity: int = 256) -> Inbox:
        """A new Inbox holding up to ``capacity`` messages per batch."""
        return Inbox(capacity)

    def exchange(
        self, outbox: Optional[Outbox] = None, inbox: Optional[Inbox] = None, timeout: Optional[float] = None
    ) -> int:
        """The one call of the Trindle drafts: sends everything in ``outbox``, releases ``inbox``'s last batch,
        then waits up to ``timeout`` s to fill ``inbox`` with the next batch from every input.

        Returns the number of messages received (0 if none came in time, if a stop request or a notice arrived,
        or if the worker receives nothing), or END_OF_STREAM once every input has ended. Raises CorruptLane once
        per broken input lane (call again: the others go on), SupervisorGone, or a send's error (the outbox keeps
        what it did not send)."""
        if inbox is not None:
            inbox._invalidate()
        code = _lib.trindle_exchange(
            self._live(),
            None if outbox is None else outbox._live(),
            None if inbox is None else inbox._live(),
            _native.nanos(timeout),
        )
        self._follow_revocations()
        if code >= 0 or code == END_OF_STREAM:
            return code
        raise error(code)

    def batches(
        self,
        timeout: Optional[float] = None,
        outbox: Optional[Outbox] = None,
        capacity: int = 256,
        on_corrupt: Optional[Callable[[CorruptLane], Any]] = None,
    ) -> Iterator[Inbox]:
        """Yields each batch (an Inbox) until every input has ended, exchanging between batches: what was added
        to ``outbox`` while handling a batch is sent before that batch is released. With a ``timeout`` (or on a
        stop request) an empty batch is yielded when nothing came. A broken lane is passed to
        ``on_corrupt(error)`` (by default: reported on stderr) and the others go on."""
        inbox = Inbox(capacity)
        try:
            while True:
                try:
                    count = self.exchange(outbox, inbox, timeout)
                except CorruptLane as e:
                    if on_corrupt is None:
                        print(f"trindle: {e.detail}", file=sys.stderr, flush=True)
                    else:
                        on_corrupt(e)
                    continue
                if count == END_OF_STREAM:
                    if outbox is not None and len(outbox) > 0:
                        self.exchange(outbox, None, 0)
                    return
                yield inbox
        finally:
            inbox._invalidate()

    def messages(
        self,
        timeout: Optional[float] = None,
        outbox: Optional[Outbox] = None,
        capacity: int = 256,
        on_corrupt: Optional[Callable[[CorruptLane], Any]] = None,
    ) -> Iterator[Message]:
        """Yields every message, batch after batch (as ``batches``), until every input has ended. A message is
        valid until the next batch is fetched."""
        for batch in self.batches(timeout, outbox, capacity, on_corrupt):
            yield from batch

    def send(self, pipe: PipeSender, data: Any, *attachments: Attach) -> None:
        """Sends ``data`` (bytes-like) with handles attached (``trindle.move(x)``, ``trindle.duplicate(x,
        rights)``) on the next lane of ``pipe``, in order with its other messages. The supervisor checks every
        attachment first: if it refuses one, nothing is sent, nothing moves, and AccessDenied says which and why.
        A granted segment that moves is closed (its memory released); close other moved handles yourself."""
        array = self._attachments("send", attachments)
        pointer, length, keep = _native.address_of(data)
        check(_lib.trindle_send_handles(self._live(), pipe._live(), array, len(attachments), pointer, length))
        del keep
        self._moved(attachments)

    @staticmethod
    def _attachments(call: str, attachments: tuple[Attach, ...]) -> ctypes.Array[_native.Attach]:
        if not attachments:
            raise ValueError(f"{call}: no attachments")
        array = (_native.Attach * len(attachments))()
        for i, attach in enumerate(attachments):
            array[i].handle = ctypes.pointer(attach.handle._struct)
            array[i].rights = attach.rights
            array[i].mode = attach.mode
        return array

    def _moved(self, attachments: tuple[Attach, ...]) -> None:
        for attach in attachments:
            segment = attach.segment
            if attach.mode == _native.MOVE and segment is not None and segment.name in self._segments:
                # libtrindle unmapped it: its memory must not be touched again.
                del self._segments[segment.name]
                segment._release()
                segment._handle = None

    def take(self, message: Message) -> list[Handle]:
        """Redeems the handles ``message`` carries (none for most): the supervisor gives them to this worker,
        once. Raises AccessDenied for a forged or replayed token (the detail says which)."""
        if message.attachment_count == 0:
            return []
        handles = (_native.Handle * message.attachment_count)()
        count = check(_lib.trindle_redeem(self._live(), message._live(), handles, message.attachment_count))
        return [Handle._copy(handles[i]) for i in range(count)]

    def reject(self, message: Message, reason: str) -> None:
        """Rejects ``message`` instead of handling it: its sender gets a bounce with ``reason`` (at most 1024
        bytes of UTF-8), the sequence, the first bytes and the handles it carried (if not taken)."""
        check(_lib.trindle_reject(self._live(), message._live(), reason.encode()))

    def bounces(self) -> list[Bounce]:
        """The bounces that arrived since the last call (messages of this worker that were rejected); looks at
        the control channel once, without waiting, if none is queued. exchange returns early when one arrives."""
        found = []
        pointer = ctypes.POINTER(_native.Bounce)()
        while check(_lib.trindle_next_bounce(self._live(), ctypes.byref(pointer))) == 1:
            found.append(_bounce(pointer))
        return found

    def create_pipe(self, lane_capacity: int, allocator: Allocator | None = None) -> Handle:
        """A pipe of this worker's own: one lane of ``lane_capacity`` bytes (a power of two from 4096) with SEND,
        RECEIVE, DUPLICATE and TRANSFER, to fill (``LaneSender.open(os.dup(pipe.fd))``) and move in a message.
        With ``allocator`` (held with ALLOCATE), its lane file is charged to it: raises OverQuota (the reason names
        the quota, the use and what was asked; nothing is made) when it does not fit."""
        struct = _native.Handle()
        if allocator is None:
            check(_lib.trindle_create_pipe(self._live(), lane_capacity, ctypes.byref(struct)))
        else:
            check(
                _lib.trindle_allocator_create_pipe(self._live(), allocator._live(), lane_capacity, ctypes.byref(struct))
            )
        return Handle(struct)

    def resize_pipe(self, pipe: str, lane_capacity: int) -> None:
        """Resizes ``pipe``, an input of this worker (granted receive; its name in the config): each of its lanes
        moves to a new lane of ``lane_capacity`` bytes (a power of two from 4096 to 2**30) while its sender and this
        worker go on, and no message is lost, duplicated or reordered (docs/pipe-format.md §9). Returns once the
        supervisor gave out the new lanes; the receiver reads on in each new lane once it reaches the old one's end.

        Raises TrindleError (TRINDLE_E_INVALID) if the supervisor refused with status 9, invalid request (the
        capacity is out of range, the pipe's last resize is still under way, or a worker of the pipe is not
        running), AccessDenied with another status (1, not held: this worker does not receive the pipe); the
        error's detail says the supervisor's reason and status."""
        check(_lib.trindle_resize_pipe(self._live(), pipe.encode(), lane_capacity))

    def bundle(self, data: Any, *attachments: Attach) -> Handle:
        """Packs handles (``trindle.move``/``duplicate``, checked as for ``send``: all or nothing) and up to 4096
        bytes into a new bundle, a Handle with READ and TRANSFER to move in a message as one."""
        array = self._attachments("bundle", attachments)
        pointer, length, keep = _native.address_of(data)
        struct = _native.Handle()
        check(_lib.trindle_bundle_create(self._live(), array, len(attachments), pointer, length, ctypes.byref(struct)))
        del keep
        self._moved(attachments)
        return Handle(struct)

    def unpack(self, bundle: Handle) -> tuple[bytes, list[Handle]]:
        """Uses up a bundle this worker holds: its bytes and its handles, this worker's now."""
        data = ctypes.create_string_buffer(_native.MAX_BUNDLE_BYTES)
        length = ctypes.c_uint32()
        handles = (_native.Handle * 64)()
        count = check(
            _lib.trindle_bundle_unpack(
                self._live(), ctypes.byref(bundle._struct), data, len(data), ctypes.byref(length), handles, 64
            )
        )
        return data.raw[: length.value], [Handle._copy(handles[i]) for i in range(count)]

    def close(self) -> None:
        """Ends every output stream (final), unmaps every pipe and segment and closes the control channel."""
        if self._handle is not None:
            for segment in [*self._segments.values(), *self._made]:
                segment.close()
            for broadcast in self._broadcasts.values():
                broadcast._handle = None  # trindle_close ends or leaves it, and unmaps it
            for table in self._tables.values():
                table.close()
            for allocator in self._allocators.values():
                allocator._handle = None
            if self._receiver is not None:
                self._receiver._handle = None
            _lib.trindle_close(self._handle)
            self._handle = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, kind: Optional[type], value: Optional[BaseException], traceback: Any) -> bool:
        if kind is None:
            self.close()
        return False
