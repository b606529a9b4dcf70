"""The ctypes binding of libtrindle: finding and loading the library, the C structs, and every prototype.

Private to the package: the classes of ``trindle`` wrap these calls. The structs mirror
``native-shims/src/main/include/trindle.h`` field for field; the codes are the fixed numbers of its ``trindle_code``.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Optional

LIBRARY_ENVIRONMENT = "TRINDLE_LIBRARY"
"""The environment variable naming the libtrindle file to load; when set, it is the only one tried."""

SONAME = "libtrindle.so.0"
"""The library's soname: the file loaded from each place tried."""

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "_lib" / SONAME
_BESIDE_REPOSITORY = _PACKAGE.parent.parent / "native-shims" / "target" / "lib" / SONAME

# Result codes (trindle.h, enum trindle_code): fixed, never renumbered.
OK = 0
E_INVALID = -1
E_SYSTEM = -2
E_NO_MEMORY = -3
E_FULL = -4
E_TIMEOUT = -5
END_OF_STREAM = -6
E_CORRUPT = -7
E_FORMAT = -8
E_PROTOCOL = -9
E_ACCESS = -10
E_ENDED = -11
E_NOT_FOUND = -12
E_SUPERVISOR_GONE = -13
E_OVER_QUOTA = -14
E_CONFLICT = -15

SUPERVISOR_GONE_EXIT = 70

# Rights (trindle-layout.h, TRINDLE_RIGHT_*) and object kinds (TRINDLE_OBJECT_*).
RIGHT_READ = 0x01
RIGHT_WRITE = 0x02
RIGHT_EXECUTE = 0x04
RIGHT_SEND = 0x08
RIGHT_RECEIVE = 0x10
RIGHT_DUPLICATE = 0x20
RIGHT_TRANSFER = 0x40
RIGHT_ALLOCATE = 0x80
OBJECT_SEGMENT = 1
OBJECT_PIPE = 2
OBJECT_BUNDLE = 3
OBJECT_ALLOCATOR = 4
OBJECT_TABLE = 5
OBJECT_BROADCAST = 6

# What a notice says (trindle-layout.h, TRINDLE_NOTICE_*).
NOTICE_PRESSURE_ABOVE = 1
NOTICE_PRESSURE_BELOW = 2
NOTICE_LANE_ENDED = 3
NOTICE_GRANTED = 4
NOTICE_GIVE_BACK = 5

# Attachment modes (TRINDLE_MOVE, TRINDLE_DUPLICATE) and the longest reason a reject carries.
MOVE = 0
DUPLICATE = 1
MAX_REASON_LENGTH = 1024
MAX_BOUNCE_HEAD = 256
MAX_BUNDLE_BYTES = 4096

# Tables (trindle-layout.h, TRINDLE_TABLE_*; trindle.h): the limits, libtrindle's defaults and its retries.
TABLE_KEY_MAX_LIMIT = 4096
TABLE_VALUE_MAX_LIMIT = 1 << 20
TABLE_WRITER_COUNT_LIMIT = 255
TABLE_DEFAULT_KEY_MAX = 64
TABLE_DEFAULT_VALUE_MAX = 256
TABLE_DEFAULT_WRITER_COUNT = 16
TABLE_DEFAULT_REDO_RECORDS = 16
TABLE_DEFAULT_SIZE = 1 << 20
TABLE_READ_ATTEMPTS = 1000
TABLE_WRITE_ATTEMPTS = 10000

# Lane states (enum trindle_lane_state).
LANE_OPEN = 0
LANE_ENDED = 1
LANE_CORRUPT = 2

# Broadcasts (trindle-layout.h, TRINDLE_BROADCAST_*: docs/broadcast-format.md; trindle.h: where a reader joins).
BROADCAST_FROM_NOW = 0
BROADCAST_FROM_OLDEST = 1
BROADCAST_MAGIC = 0x44524254
BROADCAST_VERSION = 1
BROADCAST_POLICY_SLOWEST_READER = 1
BROADCAST_POLICY_LAP = 2
BROADCAST_STATE_OPEN = 0
BROADCAST_STATE_ENDED = 1
BROADCAST_STATE_WRITER_GONE = 2
BROADCAST_TYPE_MESSAGE = 1
BROADCAST_TYPE_PADDING = 2
BROADCAST_MAGIC_OFFSET = 0
BROADCAST_VERSION_OFFSET = 4
BROADCAST_POLICY_OFFSET = 6
BROADCAST_CAPACITY_OFFSET = 8
BROADCAST_MAX_PAYLOAD_LENGTH_OFFSET = 12
BROADCAST_OBJECT_ID_OFFSET = 16
BROADCAST_SLOT_COUNT_OFFSET = 24
BROADCAST_READY_OFFSET = 28
BROADCAST_TAIL_OFFSET = 128
BROADCAST_NEXT_SEQUENCE_OFFSET = 136
BROADCAST_OLDEST_OFFSET = 256
BROADCAST_SCAN_EPOCH_OFFSET = 384
BROADCAST_GATE_OFFSET = 392
BROADCAST_WRITER_WAITING_OFFSET = 512
BROADCAST_SIGNAL_OFFSET = 640
BROADCAST_STATE_OFFSET = 768
BROADCAST_WRITER_PID_OFFSET = 772
BROADCAST_HEADER_LENGTH = 4096
BROADCAST_RECORD_LENGTH_OFFSET = 0
BROADCAST_RECORD_TYPE_OFFSET = 4
BROADCAST_RECORD_SEQUENCE_OFFSET = 8
BROADCAST_RECORD_HEADER_LENGTH = 16
BROADCAST_RECORD_ALIGNMENT = 16
BROADCAST_CURSOR_POSITION_OFFSET = 0
BROADCAST_CURSOR_PID_OFFSET = 8
BROADCAST_CURSOR_DELIVERED_OFFSET = 16
BROADCAST_CURSOR_LOST_OFFSET = 24
BROADCAST_CURSOR_SLEEPING_OFFSET = 128
BROADCAST_CURSOR_SLEEP_SIGNAL_OFFSET = 132
BROADCAST_OLDEST_STEP_DIVISOR = 8
BROADCAST_CURSOR_LENGTH = 4096
BROADCAST_CURSOR_ABSENT = 0xFFFF_FFFF_FFFF_FFFF
BROADCAST_MIN_CAPACITY = 4096
BROADCAST_MAX_CAPACITY = 1 << 30
BROADCAST_MAX_SLOTS = 63


class LibraryNotFound(ImportError):
    """libtrindle.so could not be loaded; the message says which path was tried, why it failed, and the fix."""


SANDBOX_ENVIRONMENT = "TRINDLE_SANDBOX"
"""Set by the supervisor for a sandboxed worker, to its sandbox profile."""


def _candidates() -> list[tuple[str, str]]:
    """Where the library is looked for, in order, each as (what dlopen is given, where that is)."""
    named = os.environ.get(LIBRARY_ENVIRONMENT)
    # A library named explicitly is the only one tried: falling back would hide a wrong setting.
    if named:
        return [(named, f"${LIBRARY_ENVIRONMENT}")]
    candidates = [(str(_BUNDLED), "the copy bundled with the package")]
    # Only a package in a checkout (python/trindle) has the build beside it; an installed one has not.
    if _BESIDE_REPOSITORY.parent.parent.parent.is_dir():
        candidates.append((str(_BESIDE_REPOSITORY), "the build's, next to the package"))
    # A bare name: dlopen searches LD_LIBRARY_PATH, the loader's cache (ldconfig) and the system directories.
    candidates.append((SONAME, "the system's library path"))
    return candidates


def _load() -> ctypes.CDLL:
    tried = []
    for path, where in _candidates():
        # Tried even if it seems absent: in a sandbox, a file outside the read-only paths cannot even be seen.
        try:
            return ctypes.CDLL(path, use_errno=True)
        except OSError as e:
            tried.append((path, where, str(e)))
    named = os.environ.get(LIBRARY_ENVIRONMENT)
    if len(tried) == 1:
        path, where, reason = tried[0]
        message = f"trindle: cannot load libtrindle.so from {path} ({where}): {reason}"
    else:
        message = "trindle: cannot load libtrindle.so; tried " + "; ".join(
            f"{path} ({where}): {reason}" for path, where, reason in tried
        )
    # The one to fix: the file named, else the first there that did not load (a sandbox refuses to read it).
    present = [Path(path) for path, _, reason in tried if os.sep in path and "No such file" not in reason]
    fix = Path(named) if named else present[0] if present else _BUNDLED
    raise LibraryNotFound(f"{message}. {_fix(fix, named)}")


def _fix(path: Path, named: Optional[str]) -> str:
    """What to do when the library at path could not be loaded."""
    profile = os.environ.get(SANDBOX_ENVIRONMENT)
    if profile:
        return (
            f"This worker runs in a sandbox (profile {profile}), where it may read only its read-only paths: "
            f"list {path.parent} in its 'sandbox: read-only' in the pipeline config (the supervisor gives it "
            "the build's own library, native-shims/target/lib, by itself)"
        )
    if named:
        return f"Set {LIBRARY_ENVIRONMENT} to the path of libtrindle.so, or unset it to use the build's"
    return (
        "Install the trindle wheel, which bundles the library (python/build-wheel.sh), or build it with "
        f"./mvnw -pl native-shims -am package, or install it (native-shims/install.sh PREFIX) where the system "
        f"finds it (LD_LIBRARY_PATH=PREFIX/lib), or set {LIBRARY_ENVIRONMENT} to its path"
    )


lib: ctypes.CDLL = _load()


class Message(ctypes.Structure):
    """trindle_message_t."""

    _fields_ = [
        ("payload", ctypes.c_void_p),
        ("length", ctypes.c_uint32),
        ("lane_id", ctypes.c_uint32),
        ("pipe_id", ctypes.c_uint64),
        ("sequence", ctypes.c_uint64),
        ("lane_index", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("release_position", ctypes.c_uint64),
        ("release_count", ctypes.c_uint64),
        ("attachment_count", ctypes.c_uint32),
        ("reserved2", ctypes.c_uint32),
        ("attachment_token", ctypes.c_uint64),
        ("attachments", ctypes.c_void_p),
    ]


class Attachment(ctypes.Structure):
    """trindle_attachment_t."""

    _fields_ = [("kind", ctypes.c_uint32), ("rights", ctypes.c_uint32), ("size", ctypes.c_uint64)]


class Handle(ctypes.Structure):
    """trindle_handle_t."""

    _fields_ = [
        ("object_id", ctypes.c_uint64),
        ("kind", ctypes.c_uint32),
        ("rights", ctypes.c_uint32),
        ("offset", ctypes.c_uint64),
        ("size", ctypes.c_uint64),
        ("fd", ctypes.c_int32),
        ("reserved", ctypes.c_uint32),
    ]


class Attach(ctypes.Structure):
    """trindle_attach_t."""

    _fields_ = [
        ("handle", ctypes.POINTER(Handle)),
        ("rights", ctypes.c_uint32),
        ("mode", ctypes.c_uint32),
    ]


class Bounce(ctypes.Structure):
    """trindle_bounce_t."""

    _fields_ = [
        ("pipe", ctypes.c_char_p),
        ("sequence", ctypes.c_uint64),
        ("reason", ctypes.c_char_p),
        ("head", ctypes.c_void_p),
        ("head_length", ctypes.c_uint32),
        ("handle_count", ctypes.c_uint32),
        ("handles", ctypes.POINTER(Handle)),
    ]


class Claim(ctypes.Structure):
    """trindle_claim_t."""

    _fields_ = [("payload", ctypes.c_void_p), ("length", ctypes.c_uint32), ("position", ctypes.c_uint64)]


class Notice(ctypes.Structure):
    """trindle_notice_t."""

    _fields_ = [
        ("kind", ctypes.c_uint32),
        ("percent", ctypes.c_uint32),
        ("object_id", ctypes.c_uint64),
        ("used", ctypes.c_uint64),
        ("quota", ctypes.c_uint64),
        ("handle_count", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("details", ctypes.c_char * 256),
    ]


class LaneInfo(ctypes.Structure):
    """trindle_lane_info_t."""

    _fields_ = [
        ("pipe_id", ctypes.c_uint64),
        ("lane_id", ctypes.c_uint32),
        ("state", ctypes.c_int),
        ("position", ctypes.c_uint64),
        ("released", ctypes.c_uint64),
        ("fault", ctypes.c_char_p),
    ]


class Reply(ctypes.Structure):
    """trindle_reply_t — a reply a requester received (docs/request-response.md)."""

    _fields_ = [
        ("id", ctypes.c_uint64),
        ("payload", ctypes.c_void_p),
        ("length", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
    ]


_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_I = ctypes.c_int
_U32 = ctypes.c_uint32
_U64 = ctypes.c_uint64
_I64 = ctypes.c_int64
_S = ctypes.c_char_p
_MSG = ctypes.POINTER(Message)
_HANDLE = ctypes.POINTER(Handle)

_PROTOTYPES = {
    "trindle_strerror": (_S, [_I]),
    "trindle_last_error": (_S, []),
    "trindle_last_errno": (_I, []),
    # lane sender
    "trindle_lane_sender_open": (_I, [_I, _PP]),
    "trindle_lane_sender_pipe_id": (_U64, [_P]),
    "trindle_lane_sender_lane_id": (_U32, [_P]),
    "trindle_lane_sender_capacity": (_U32, [_P]),
    "trindle_lane_sender_max_payload_length": (_U32, [_P]),
    "trindle_lane_sender_claim": (_I, [_P, _U32, ctypes.POINTER(Claim)]),
    "trindle_lane_sender_claim_wait": (_I, [_P, _U32, _I64, ctypes.POINTER(Claim)]),
    "trindle_lane_sender_commit": (_I, [_P, ctypes.POINTER(Claim)]),
    "trindle_lane_sender_abort": (_I, [_P, ctypes.POINTER(Claim)]),
    "trindle_lane_sender_try_send": (_I, [_P, _P, _U32]),
    "trindle_lane_sender_send": (_I, [_P, _P, _U32, _I64]),
    "trindle_lane_sender_end_stream": (_I, [_P]),
    "trindle_lane_sender_close": (None, [_P]),
    # receiver, messages, inbox
    "trindle_message_attachment": (_I, [_MSG, _U32, ctypes.POINTER(Attachment)]),
    "trindle_pipe_receiver_open": (_I, [_PP]),
    "trindle_pipe_receiver_add_lane": (_I, [_P, _I]),
    "trindle_pipe_receiver_lane_count": (_U32, [_P]),
    "trindle_pipe_receiver_lane_info": (_I, [_P, _U32, ctypes.POINTER(LaneInfo)]),
    "trindle_pipe_receiver_poll": (_I, [_P, _P]),
    "trindle_pipe_receiver_receive": (_I, [_P, _P, _I64]),
    "trindle_pipe_receiver_release": (_I, [_P, _MSG]),
    "trindle_pipe_receiver_unblock": (_I, [_P, _U32]),
    "trindle_pipe_receiver_close": (None, [_P]),
    "trindle_inbox_create": (_I, [_U32, _PP]),
    "trindle_inbox_size": (_U32, [_P]),
    "trindle_inbox_capacity": (_U32, [_P]),
    "trindle_inbox_message": (_P, [_P, _U32]),
    "trindle_inbox_release": (_I, [_P]),
    "trindle_inbox_destroy": (None, [_P]),
    # segment
    "trindle_segment_map": (_I, [_I, _U64, _U64, _U32, _PP]),
    "trindle_segment_address": (_P, [_P]),
    "trindle_segment_size": (_U64, [_P]),
    "trindle_segment_rights": (_U32, [_P]),
    "trindle_segment_fd": (_I, [_P]),
    "trindle_segment_close": (None, [_P]),
    # worker
    "trindle_connect": (_I, [_PP]),
    "trindle_connect_fd": (_I, [_I, _PP]),
    "trindle_pipeline": (_S, [_P]),
    "trindle_worker": (_S, [_P]),
    "trindle_replica": (_U32, [_P]),
    "trindle_replicas": (_U32, [_P]),
    "trindle_control_fd": (_I, [_P]),
    "trindle_sender": (_I, [_P, _S, _PP]),
    "trindle_receiver": (_I, [_P, _PP]),
    "trindle_segment": (_I, [_P, _S, _PP]),
    "trindle_input_name": (_S, [_P, _MSG]),
    "trindle_ready": (_I, [_P]),
    "trindle_stop_requested": (_I, [_P]),
    "trindle_exchange": (_I, [_P, _P, _P, _I64]),
    "trindle_close": (None, [_P]),
    # allocators, notices
    "trindle_allocator": (_I, [_P, _S, _PP]),
    "trindle_allocator_id": (_U64, [_P]),
    "trindle_allocator_rights": (_U32, [_P]),
    "trindle_allocator_quota": (_U64, [_P]),
    "trindle_allocator_create_segment": (_I, [_P, _P, _U64, _PP]),
    "trindle_allocator_create_allocator": (_I, [_P, _P, _U64, _PP]),
    "trindle_allocator_create_table": (_I, [_P, _P, _U64, _U32, _U32, _U32, _PP]),
    "trindle_release_segment": (_I, [_P, _P]),
    "trindle_release_allocator": (_I, [_P, _P]),
    "trindle_release_table": (_I, [_P, _P]),
    "trindle_next_notice": (_I, [_P, ctypes.POINTER(Notice)]),
    # handles in motion
    "trindle_segment_handle": (_I, [_P, _HANDLE]),
    "trindle_handle_map": (_I, [_HANDLE, _PP]),
    "trindle_handle_close": (None, [_HANDLE]),
    "trindle_send_handles": (_I, [_P, _P, ctypes.POINTER(Attach), _U32, _P, _U32]),
    "trindle_redeem": (_I, [_P, _MSG, _HANDLE, _U32]),
    "trindle_reject": (_I, [_P, _MSG, _S]),
    "trindle_next_bounce": (_I, [_P, ctypes.POINTER(ctypes.POINTER(Bounce))]),
    "trindle_bounce_free": (None, [ctypes.POINTER(Bounce)]),
    "trindle_create_pipe": (_I, [_P, _U32, _HANDLE]),
    "trindle_allocator_create_pipe": (_I, [_P, _P, _U32, _HANDLE]),
    "trindle_resize_pipe": (_I, [_P, _S, _U32]),
    "trindle_bundle_create": (_I, [_P, ctypes.POINTER(Attach), _U32, _P, _U32, _HANDLE]),
    "trindle_bundle_unpack": (_I, [_P, _HANDLE, _P, _U32, ctypes.POINTER(_U32), _HANDLE, _U32]),
    # pipe sender, outbox
    "trindle_pipe_sender_name": (_S, [_P]),
    "trindle_pipe_sender_replicas": (_U32, [_P]),
    "trindle_pipe_sender_by_key": (ctypes.c_bool, [_P]),
    "trindle_pipe_sender_max_payload_length": (_U32, [_P]),
    "trindle_pipe_sender_lane": (_P, [_P, _U64]),
    "trindle_pipe_sender_send": (_I, [_P, _P, _U32, _I64]),
    "trindle_pipe_sender_send_key": (_I, [_P, _U64, _P, _U32, _I64]),
    "trindle_pipe_sender_end_streams": (_I, [_P]),
    "trindle_outbox_create": (_I, [_U32, ctypes.c_size_t, _PP]),
    "trindle_outbox_add": (_I, [_P, _P, _P, _U32]),
    "trindle_outbox_add_key": (_I, [_P, _P, _U64, _P, _U32]),
    "trindle_outbox_size": (_U32, [_P]),
    "trindle_outbox_send_all": (_I, [_P, _I64]),
    "trindle_outbox_destroy": (None, [_P]),
    # tables
    "trindle_table_create": (_I, [_U64, _U32, _U32, _U32, _PP]),
    "trindle_table_map": (_I, [_I, _I, _PP]),
    "trindle_table_fd": (_I, [_P]),
    "trindle_table_writer": (_I, [_P]),
    "trindle_table_id": (_U64, [_P]),
    "trindle_table_key_max": (_U32, [_P]),
    "trindle_table_value_max": (_U32, [_P]),
    "trindle_table_entry_count": (_U32, [_P]),
    "trindle_table_writer_count": (_U32, [_P]),
    "trindle_table_recover": (_I, [_P]),
    "trindle_table_close": (None, [_P]),
    "trindle_txn_begin": (_I, [_P, _I, _PP]),
    "trindle_txn_restart": (_I, [_P]),
    "trindle_txn_get": (_I, [_P, _P, ctypes.c_size_t, _P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]),
    "trindle_txn_get_many": (
        _I,
        [_P, ctypes.c_size_t, _P, _P, _P, ctypes.c_size_t, _P],
    ),
    "trindle_txn_put": (_I, [_P, _P, ctypes.c_size_t, _P, ctypes.c_size_t]),
    "trindle_txn_delete": (_I, [_P, _P, ctypes.c_size_t]),
    "trindle_txn_next": (
        _I,
        [
            _P,
            ctypes.POINTER(_U32),
            _P,
            ctypes.c_size_t,
            ctypes.POINTER(ctypes.c_size_t),
            _P,
            ctypes.c_size_t,
            ctypes.POINTER(ctypes.c_size_t),
        ],
    ),
    "trindle_txn_commit": (_I, [_P]),
    "trindle_txn_free": (None, [_P]),
    "trindle_granted_table": (_I, [_P, _S, _PP]),
    "trindle_table_from_handle": (_I, [_HANDLE, _PP]),
    # checkpoint
    "trindle_checkpoint_open": (_I, [_P, _S, _PP]),
    "trindle_checkpoint_open_segment": (_I, [_P, _U32, _U32, _PP]),
    "trindle_checkpoint_generation": (_U64, [_P]),
    "trindle_checkpoint_state": (_P, [_P, ctypes.POINTER(_U32)]),
    "trindle_checkpoint_max_state_length": (_U32, [_P]),
    "trindle_checkpoint_lane_count": (_U32, [_P]),
    "trindle_checkpoint_position": (_I, [_P, _U64, _U32, ctypes.POINTER(_U64)]),
    "trindle_checkpoint_is_new": (ctypes.c_bool, [_P, _MSG]),
    "trindle_checkpoint_commit": (_I, [_P, _P, _P, _P, _U32]),
    "trindle_checkpoint_close": (None, [_P]),
    # broadcast (docs/broadcast-format.md)
    "trindle_broadcast_writer": (_I, [_P, _S, _PP]),
    "trindle_broadcast_reader": (_I, [_P, _S, _PP]),
    "trindle_broadcast_writer_open": (_I, [_I, ctypes.POINTER(_I), _U32, _PP]),
    "trindle_broadcast_send": (_I, [_P, _P, _U32, _I64, ctypes.POINTER(_U64)]),
    "trindle_broadcast_end": (_I, [_P]),
    "trindle_broadcast_writer_max_payload_length": (_U32, [_P]),
    "trindle_broadcast_writer_close": (None, [_P]),
    "trindle_broadcast_reader_open": (_I, [_I, _I, _PP]),
    "trindle_broadcast_join": (_I, [_P, _I]),
    "trindle_broadcast_read": (_I, [_P, _P, _U32, ctypes.POINTER(_U32), ctypes.POINTER(_U64), _I64]),
    "trindle_broadcast_lost": (_U64, [_P]),
    "trindle_broadcast_delivered": (_U64, [_P]),
    "trindle_broadcast_reader_max_payload_length": (_U32, [_P]),
    "trindle_broadcast_leave": (_I, [_P]),
    "trindle_broadcast_ring_fd": (_I, [_P]),
    "trindle_broadcast_reader_close": (None, [_P]),
    # request-response (docs/request-response.md)
    "trindle_requester_open": (_I, [_P, _S, _S, _U32, _PP]),
    "trindle_requester_send": (_I, [_P, _P, _U32, _I64, ctypes.POINTER(_U64)]),
    "trindle_requester_receive": (_I, [_P, _I64, ctypes.POINTER(Reply)]),
    "trindle_requester_call": (_I, [_P, _P, _U32, _I64, ctypes.POINTER(Reply)]),
    "trindle_requester_in_flight": (_U32, [_P]),
    "trindle_requester_dropped": (_U64, [_P]),
    "trindle_requester_close": (None, [_P]),
    "trindle_responder_open": (_I, [_P, _PP]),
    "trindle_responder_pair": (_I, [_P, _S, _S]),
    "trindle_responder_request": (_I, [_P, _MSG, ctypes.POINTER(_U64)]),
    "trindle_responder_reply": (_I, [_P, _MSG, _P, _U32, _I64]),
    "trindle_responder_reply_to": (_I, [_P, _S, _U64, _P, _U32, _I64]),
    "trindle_responder_close": (None, [_P]),
    # events (docs/events.md)
    "trindle_event_notifier_open": (_I, [_P, _U64, _PP]),
    "trindle_event_signal": (_I, [_P, ctypes.POINTER(_U32)]),
    "trindle_event_notifier_close": (None, [_P]),
    "trindle_event_listener_open": (_I, [_P, _U64, _PP]),
    "trindle_event_poll": (_I, [_P, ctypes.POINTER(_U32)]),
    "trindle_event_wait": (_I, [_P, _I64, ctypes.POINTER(_U32)]),
    "trindle_event_seen": (_U32, [_P]),
    "trindle_event_listener_close": (None, [_P]),
}

for _name, (_restype, _argtypes) in _PROTOTYPES.items():
    try:
        _function = getattr(lib, _name)
    except AttributeError:
        raise LibraryNotFound(f"trindle: {lib._name} has no symbol {_name}: rebuild native-shims") from None
    _function.restype = _restype
    _function.argtypes = _argtypes

# A memoryview straight over memory the library owns: no copy, read-only or writable as asked.
_memory_view = ctypes.pythonapi.PyMemoryView_FromMemory
_memory_view.restype = ctypes.py_object
_memory_view.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int]
_PYBUF_READ = 0x100
_PYBUF_WRITE = 0x200


def memory(address, size, writable):
    """A memoryview of ``size`` bytes at ``address`` (format "B"); valid only as long as the memory is mapped."""
    return _memory_view(address, size, _PYBUF_WRITE if writable else _PYBUF_READ)


def nanos(timeout):
    """A timeout in seconds (None: no limit) as the library's int64 nanoseconds (negative: no limit)."""
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError(f"timeout={timeout} is negative: use None to wait without limit")
    return int(timeout * 1_000_000_000)


def address_of(data):
    """(pointer, length, keepalive) for a bytes-like object, without copying bytes or writable buffers."""
    if isinstance(data, bytes):
        return data, len(data), data
    view = data if isinstance(data, memoryview) else memoryview(data)
    if view.readonly:
        copy = view.tobytes()
        return copy, len(copy), copy
    if view.format != "B" or not view.c_contiguous:
        view = view.cast("B")
    array = (ctypes.c_char * view.nbytes).from_buffer(view)
    return array, view.nbytes, (array, view)
