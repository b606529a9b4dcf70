"""trindle — write Trindle workers in Python, over libtrindle (the C client) with ctypes.

    import trindle

    with trindle.connect() as t:              # hello and grants from the control channel (TRINDLE_CONTROL_FD)
        shouts = t.sender("shouts")
        outbox = t.outbox()
        t.ready()
        for batch in t.batches(outbox=outbox):  # sends the outbox, releases the last batch, waits for the next
            for message in batch:               # message.data: a read-only memoryview into the lane
                outbox.add(shouts, message.bytes().upper())
    # leaving the block normally ends every output stream

libtrindle (libtrindle.so.0) is loaded from $TRINDLE_LIBRARY if it is set (and only from there); else from the copy
bundled with the package (a wheel built by python/build-wheel.sh), else from native-shims/target/lib next to this
package in the repository, else from the system's library path; LibraryNotFound lists what was tried. The guide is
docs/workers-in-c-and-python.md; installing: python/README.md.
"""

from ._native import (
    LANE_CORRUPT,
    LANE_ENDED,
    LANE_OPEN,
    LIBRARY_ENVIRONMENT,
    OBJECT_ALLOCATOR,
    OBJECT_BROADCAST,
    OBJECT_BUNDLE,
    OBJECT_PIPE,
    OBJECT_SEGMENT,
    OBJECT_TABLE,
    SUPERVISOR_GONE_EXIT,
    LibraryNotFound,
)
from .allocators import Allocator, Notice, NoticeKind
from .broadcast import BroadcastReader, BroadcastWriter, BroadcastWriterGone, CorruptBroadcast
from .checkpoint import Checkpoint, CorruptCheckpoint
from .errors import (
    AccessDenied,
    CorruptLane,
    CorruptTable,
    Full,
    NotFound,
    OverQuota,
    Revoked,
    SupervisorGone,
    TableConflict,
    TableFull,
    Timeout,
    TrindleError,
)
from .events import EVENT_WORD_ALIGNMENT, EVENT_WORD_LENGTH, Listener, Notifier
from .handles import Attach, Bounce, Handle, duplicate, move
from .pipes import (
    END_OF_STREAM,
    Attachment,
    Claim,
    Inbox,
    LaneInfo,
    LaneSender,
    Message,
    Outbox,
    PipeReceiver,
    PipeSender,
)
from .reqrep import Reply, Requester, RequestTimeout, Responder, ResponderGone
from .rights import Rights
from .segments import Segment
from .tables import Snapshot, Table, Transaction
from .worker import Connection, connect

# The rights as flags of Rights, and ints all the same: RIGHT_READ | RIGHT_WRITE == 3.
RIGHT_READ = Rights.READ
RIGHT_WRITE = Rights.WRITE
RIGHT_EXECUTE = Rights.EXECUTE
RIGHT_SEND = Rights.SEND
RIGHT_RECEIVE = Rights.RECEIVE
RIGHT_DUPLICATE = Rights.DUPLICATE
RIGHT_TRANSFER = Rights.TRANSFER
RIGHT_ALLOCATE = Rights.ALLOCATE

__all__ = [
    "connect",
    "Connection",
    "PipeSender",
    "LaneSender",
    "Claim",
    "PipeReceiver",
    "Inbox",
    "Outbox",
    "Message",
    "Attachment",
    "LaneInfo",
    "Segment",
    "Table",
    "Snapshot",
    "Transaction",
    "Handle",
    "Attach",
    "Bounce",
    "move",
    "duplicate",
    "Checkpoint",
    "Notifier",
    "Listener",
    "EVENT_WORD_LENGTH",
    "EVENT_WORD_ALIGNMENT",
    "Allocator",
    "Notice",
    "NoticeKind",
    "TrindleError",
    "Full",
    "Timeout",
    "CorruptLane",
    "CorruptCheckpoint",
    "NotFound",
    "AccessDenied",
    "Revoked",
    "SupervisorGone",
    "OverQuota",
    "TableConflict",
    "TableFull",
    "CorruptTable",
    "LibraryNotFound",
    "Rights",
    "END_OF_STREAM",
    "SUPERVISOR_GONE_EXIT",
    "LIBRARY_ENVIRONMENT",
    "RIGHT_READ",
    "RIGHT_WRITE",
    "RIGHT_EXECUTE",
    "RIGHT_SEND",
    "RIGHT_RECEIVE",
    "RIGHT_DUPLICATE",
    "RIGHT_TRANSFER",
    "RIGHT_ALLOCATE",
    "OBJECT_SEGMENT",
    "OBJECT_PIPE",
    "OBJECT_BUNDLE",
    "OBJECT_ALLOCATOR",
    "OBJECT_TABLE",
    # broadcasts (docs/broadcast-format.md)
    "OBJECT_BROADCAST",
    "BroadcastWriter",
    "BroadcastReader",
    "BroadcastWriterGone",
    "CorruptBroadcast",
    "LANE_OPEN",
    "LANE_ENDED",
    "LANE_CORRUPT",
    # request-response (docs/request-response.md)
    "Requester",
    "Responder",
    "Reply",
    "RequestTimeout",
    "ResponderGone",
]
