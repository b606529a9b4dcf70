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

libtrindle.so is found through $TRINDLE_LIBRARY, else at native-shims/target/lib/libtrindle.so next to this
package in the repository. The guide is docs/workers-in-c-and-python.md.
"""

from ._native import (
    LANE_CORRUPT,
    LANE_ENDED,
    LANE_OPEN,
    LIBRARY_ENVIRONMENT,
    OBJECT_BUNDLE,
    OBJECT_PIPE,
    OBJECT_SEGMENT,
    RIGHT_DUPLICATE,
    RIGHT_EXECUTE,
    RIGHT_READ,
    RIGHT_RECEIVE,
    RIGHT_SEND,
    RIGHT_TRANSFER,
    RIGHT_WRITE,
    SUPERVISOR_GONE_EXIT,
    LibraryNotFound,
)
from .checkpoint import Checkpoint, CorruptCheckpoint
from .errors import CorruptLane, Full, NotFound, SupervisorGone, Timeout, TrindleError
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
from .segments import Segment
from .worker import Connection, connect

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
    "Checkpoint",
    "TrindleError",
    "Full",
    "Timeout",
    "CorruptLane",
    "CorruptCheckpoint",
    "NotFound",
    "SupervisorGone",
    "LibraryNotFound",
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
    "OBJECT_SEGMENT",
    "OBJECT_PIPE",
    "OBJECT_BUNDLE",
    "LANE_OPEN",
    "LANE_ENDED",
    "LANE_CORRUPT",
]
