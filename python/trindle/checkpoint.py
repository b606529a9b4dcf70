"""Checkpoints: a worker's state and its per-lane positions, committed together into a segment granted to it
with [read, write], which outlives the worker's restarts (docs/checkpoint-format.md is the layout,
docs/restart-safe-workers.md the pattern).

    with trindle.connect() as t:
        checkpoint = t.checkpoint("counter-state")        # this replica's region, restored
        state = decode(checkpoint.state)                  # what was committed last (b"" the first time)
        t.ready()
        for batch in t.batches():                          # each exchange releases the batch before
            for message in batch:
                if checkpoint.is_new(message):             # False for what the committed state already holds
                    ...
            checkpoint.commit(encode(state), batch)        # sends an outbox first, if given

The ``Checkpoint`` class runs libtrindle's commit and restore (trindle_checkpoint_*); the layout constants
below mirror trindle-checkpoint-layout.h and io.trindle.runtime.CheckpointDescriptor (CheckpointConstantsTest
holds the three equal), and ``read`` decodes a region in pure Python, for tools and tests.
"""

from __future__ import annotations

import collections
import ctypes
import struct
import zlib
from typing import TYPE_CHECKING, Optional, Union

from . import _native
from .errors import TrindleError, error

_lib = _native.lib

if TYPE_CHECKING:
    from .pipes import Buffer, Inbox, Message, Outbox
    from .segments import Segment

# The layout (docs/checkpoint-format.md). All integers little-endian.
MAGIC = 0x504B4354  # "TCKP"
VERSION = 1
MAGIC_OFFSET = 0
VERSION_OFFSET = 4
SLOT_LENGTH_OFFSET = 8
COMMIT_OFFSET = 16
HEADER_LENGTH = 64
REGION_ALIGNMENT = 64
SLOT_ALIGNMENT = 8
MAX_SLOT_LENGTH = 1 << 30
SLOT_CHECKSUM_OFFSET = 0
SLOT_GENERATION_OFFSET = 8
SLOT_LANE_COUNT_OFFSET = 16
SLOT_STATE_LENGTH_OFFSET = 20
SLOT_HEADER_LENGTH = 24
SLOT_CHECKED_OFFSET = SLOT_GENERATION_OFFSET
LANE_PIPE_ID_OFFSET = 0
LANE_LANE_ID_OFFSET = 8
LANE_SEQUENCE_OFFSET = 16
LANE_LENGTH = 24
MAX_LANES = 256
CRC32_POLYNOMIAL = 0xEDB88320  # zlib.crc32's


class CorruptCheckpoint(TrindleError):
    """TRINDLE_E_CORRUPT from a checkpoint: its committed slot fails its checks (something wrote over it), or
    another process committed to the same region. The worker must stop rather than guess."""


def _check(code):
    if code < 0:
        failure = error(code)
        if code == _native.E_CORRUPT:
            raise CorruptCheckpoint(code, failure.detail, failure.errno)
        raise failure
    return code


class Checkpoint:
    """A checkpoint opened over a segment (``connection.checkpoint(name)``, or ``Checkpoint.open(segment,
    region, regions)``), restored at once: ``generation`` (0 before the first commit), ``state`` (bytes),
    ``lane_count`` and ``position(pipe_id, lane_id)``."""

    def __init__(self, handle: int, segment: Segment) -> None:
        self._handle = handle
        self._segment = segment  # kept alive: the checkpoint writes into its mapping

    @classmethod
    def open(cls, segment: Segment, region: int = 0, regions: int = 1) -> Checkpoint:
        """Opens the checkpoint in region ``region`` of ``regions`` of a Segment and restores it. Raises
        TrindleError (CorruptCheckpoint if its committed slot was written over)."""
        handle = ctypes.c_void_p()
        _check(_lib.trindle_checkpoint_open_segment(segment._live(), region, regions, ctypes.byref(handle)))
        return cls(handle.value, segment)

    def _live(self):
        if self._handle is None:
            raise ValueError("the checkpoint is closed")
        return self._handle

    @property
    def generation(self) -> int:
        """The generation committed last: 0 before the first commit, then 1, 2, ..."""
        return _lib.trindle_checkpoint_generation(self._live())

    @property
    def state(self) -> bytes:
        """The state restored at open, as bytes (b"" if nothing was committed)."""
        length = ctypes.c_uint32()
        address = _lib.trindle_checkpoint_state(self._live(), ctypes.byref(length))
        return ctypes.string_at(address, length.value) if address else b""

    @property
    def max_state_length(self) -> int:
        """The longest state a commit takes with the lanes recorded so far."""
        return _lib.trindle_checkpoint_max_state_length(self._live())

    @property
    def lane_count(self) -> int:
        return _lib.trindle_checkpoint_lane_count(self._live())

    def position(self, pipe_id: int, lane_id: int) -> Optional[int]:
        """The last sequence handled on that lane, or None if nothing was committed for it."""
        sequence = ctypes.c_uint64()
        code = _lib.trindle_checkpoint_position(self._live(), pipe_id, lane_id, ctypes.byref(sequence))
        if code == _native.E_NOT_FOUND:
            return None
        _check(code)
        return sequence.value

    def is_new(self, message: Message) -> bool:
        """Whether ``message`` lies above its lane's committed position: False for a message delivered again
        after a restart whose effect is already in the committed state."""
        return _lib.trindle_checkpoint_is_new(self._live(), message._live())

    def commit(self, state: Buffer, batch: Optional[Inbox] = None, outbox: Optional[Outbox] = None) -> None:
        """Sends ``outbox`` (if given), then commits ``state`` (bytes-like) with the positions of every message
        in ``batch`` (the inbox about to be released): the new slot is written whole, then the commit word.
        Release the batch afterwards (the next exchange does). On failure nothing was committed."""
        pointer, length, keepalive = _native.address_of(state)
        _check(
            _lib.trindle_checkpoint_commit(
                self._live(),
                None if outbox is None else outbox._live(),
                None if batch is None else batch._live(),
                pointer,
                length,
            )
        )
        del keepalive

    def close(self) -> None:
        """Frees the checkpoint; what was committed stays in the segment."""
        if self._handle is not None:
            _lib.trindle_checkpoint_close(self._handle)
            self._handle = None

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False

    def __del__(self):
        # At interpreter exit the module's globals may be gone already; the process's end frees the memory.
        if _lib is not None:
            self.close()

    def __repr__(self) -> str:
        return f"Checkpoint(generation={self.generation}, lanes={self.lane_count})"


Committed = collections.namedtuple("Committed", "generation lanes state")
"""A region's committed checkpoint as ``read`` decodes it: lanes is a list of (pipe_id, lane_id, sequence)."""


def region_length(segment_size, regions):
    """The length of each region when a segment of ``segment_size`` bytes is split in ``regions``."""
    return (segment_size // regions) & ~(REGION_ALIGNMENT - 1)


def slot_length(region_bytes):
    """The slot length of a region of ``region_bytes`` bytes (below SLOT_HEADER_LENGTH: too small)."""
    if region_bytes < HEADER_LENGTH:
        return 0
    return min(((region_bytes - HEADER_LENGTH) // 2) & ~(SLOT_ALIGNMENT - 1), MAX_SLOT_LENGTH)


def read(memory: Union[bytes, memoryview], region: int = 0, regions: int = 1) -> Optional[Committed]:
    """Decodes what region ``region`` of ``regions`` of a segment's memory (bytes or a memoryview) holds, in pure
    Python, checking it as a restore does: a Committed, or None if nothing was committed. Raises ValueError
    naming what is wrong. For a checkpoint no process is committing to at the time (tools, tests)."""
    length = region_length(len(memory), regions)
    base = region * length
    slots = slot_length(length)
    (generation,) = struct.unpack_from("<Q", memory, base + COMMIT_OFFSET)
    if generation == 0:
        return None
    magic, version, stored_slots = struct.unpack_from("<IHxxI", memory, base + MAGIC_OFFSET)
    if magic != MAGIC or version != VERSION or stored_slots != slots:
        raise ValueError(
            f"no checkpoint of version {VERSION} with {slots}-byte slots: magic={magic:#x}, "
            f"version={version}, slot length={stored_slots}"
        )
    slot = base + HEADER_LENGTH + (generation & 1) * slots
    checksum, written, lanes, state_length = struct.unpack_from("<I4xQII", memory, slot)
    end = SLOT_HEADER_LENGTH + lanes * LANE_LENGTH + state_length
    if written != generation or lanes > MAX_LANES or end > slots:
        raise ValueError(
            f"generation {generation}: slot holds generation {written}, {lanes} lanes, "
            f"{state_length} state bytes in a {slots}-byte slot"
        )
    computed = zlib.crc32(bytes(memory[slot + SLOT_CHECKED_OFFSET : slot + end]))
    if computed != checksum:
        raise ValueError(
            f"generation {generation} fails its checksum (stored {checksum:#010x}, computed {computed:#010x})"
        )
    entries = [struct.unpack_from("<QI4xQ", memory, slot + SLOT_HEADER_LENGTH + i * LANE_LENGTH) for i in range(lanes)]
    return Committed(generation, entries, bytes(memory[slot + end - state_length : slot + end]))
