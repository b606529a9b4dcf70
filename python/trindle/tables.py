"""Tables (docs/table-format.md): a key-value store in shared memory that processes read through snapshots and
write through optimistic transactions, over libtrindle's tables.

    table = trindle.Table.create(1 << 20)            # or t.table("accounts") in a worker, or Table.map(fd, True)
    table.write(lambda txn: txn.put(b"a0", b"100"))  # runs again on a conflict, then commits
    balance = table.read(lambda snapshot: snapshot.get(b"a0"))
    pairs = table.read(lambda snapshot: list(snapshot.items()))  # in hash order, not key order

Keys are 1 … ``key_max`` bytes and values 0 … ``value_max`` bytes (a ``str`` is taken as its UTF-8 bytes). A
snapshot sees exactly the commits made before it began; when a later commit wrote what it reads, it raises
TableConflict and is simply started again, as ``read`` and ``write`` do for the function they are given (which must
therefore do only what may be repeated). A table and its snapshots are for one thread at a time.
"""

from __future__ import annotations

import ctypes
import random
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence, TypeVar, Union

from . import _native
from .errors import TableConflict, table_error

if TYPE_CHECKING:
    from .handles import Handle

_lib = _native.lib

Bytes = Union[bytes, bytearray, memoryview, str]
"""A key or a value: bytes-like, or a str (its UTF-8 bytes)."""

T = TypeVar("T")


def _check(code: int) -> int:
    if code < 0:
        raise table_error(code)
    return code


def _bytes(data: Bytes) -> bytes:
    if isinstance(data, str):
        return data.encode()
    return bytes(data)


def _back_off(attempt: int) -> None:
    """As libtrindle's read and write loops: a yield after the second conflict, short sleeps after the eighth."""
    if attempt >= 8:
        time.sleep(random.uniform(0, min(attempt, 100)) / 1_000_000)
    elif attempt >= 2:
        time.sleep(0)


class Table:
    """A table mapped into this process: made by ``create``, mapped from an fd by ``map`` or from a handle by
    ``Handle.table()``, or granted to a worker (``t.table(name)``). Writable tables hold a writer slot of their own
    until closed. Use it as a context manager."""

    READ_ATTEMPTS = _native.TABLE_READ_ATTEMPTS
    """How many snapshots ``read`` takes at most before it lets TableConflict through."""
    WRITE_ATTEMPTS = _native.TABLE_WRITE_ATTEMPTS
    """How many times ``write`` runs its function at most before it lets TableConflict through."""

    def __init__(self, handle: int, name: Optional[str] = None, owner: Any = None) -> None:
        self._handle: Optional[int] = handle
        self._owner = owner
        self.name: Optional[str] = name
        self.key_max: int = _lib.trindle_table_key_max(handle)
        self.value_max: int = _lib.trindle_table_value_max(handle)
        self.entry_count: int = _lib.trindle_table_entry_count(handle)
        self.writer_count: int = _lib.trindle_table_writer_count(handle)
        self.id: int = _lib.trindle_table_id(handle)

    @classmethod
    def create(
        cls,
        size: int = 0,
        key_max: int = _native.TABLE_DEFAULT_KEY_MAX,
        value_max: int = _native.TABLE_DEFAULT_VALUE_MAX,
        writer_count: int = _native.TABLE_DEFAULT_WRITER_COUNT,
    ) -> Table:
        """A table of its own in a new memfd of ``size`` bytes (rounded up to pages; 0: 1 MiB), for keys of up to
        ``key_max`` and values of up to ``value_max`` bytes, written by up to ``writer_count`` processes at once;
        mapped writable. Another process maps it from an fd of its own: reopened from /proc/PID/fd (by it, or by this
        process before passing it on), never ``fd`` itself, whose description holds this table's writer lock."""
        handle = ctypes.c_void_p()
        _check(_lib.trindle_table_create(size, key_max, value_max, writer_count, ctypes.byref(handle)))
        return cls(handle.value)

    @classmethod
    def map(cls, fd: int, writable: bool) -> Table:
        """Maps the table in memfd ``fd``, checking its header. ``fd`` must be an open file description of this
        holder's own (a writer's liveness lock belongs to it): one the supervisor gave, or one reopened from
        /proc/PID/fd, never the fd another table of this or another process maps. The table takes the fd, also when
        this fails: never close it yourself. Writable needs an fd opened read-write, and opens a writer slot;
        read-only, the mapping cannot write. Raises TrindleError (TRINDLE_E_FORMAT naming the field that is wrong,
        AccessDenied, TableFull when every writer slot is held)."""
        handle = ctypes.c_void_p()
        _check(_lib.trindle_table_map(fd, 1 if writable else 0, ctypes.byref(handle)))
        return cls(handle.value)

    @classmethod
    def from_handle(cls, handle: Handle) -> Table:
        """As ``handle.table()``: maps a table handle, writable if it holds WRITE on a read-write fd."""
        return handle.table()

    def _live(self) -> int:
        if self._handle is None:
            raise ValueError(f"table {self.name or hex(self.id)} is closed")
        return self._handle

    @property
    def fd(self) -> int:
        """The table's memfd, still owned by the table (-1 once closed)."""
        return -1 if self._handle is None else _lib.trindle_table_fd(self._handle)

    @property
    def writer(self) -> Optional[int]:
        """The writer slot this table holds, or None if it is read-only."""
        writer = _lib.trindle_table_writer(self._live())
        return None if writer < 0 else writer

    @property
    def writable(self) -> bool:
        return self.writer is not None

    def read_many(self, keys: Sequence[Bytes], attempts: Optional[int] = None) -> list[Optional[bytes]]:
        """The values of ``keys`` (None for a key without one), all from one snapshot, read in one libtrindle call:
        a snapshot of many keys read a key per call spends Python's time between the reads, and under busy writers
        meets a newer commit nearly every time. Retried on TableConflict as ``read`` is."""
        data = [_bytes(key) for key in keys]
        count = len(data)
        key_array = (ctypes.c_char_p * count)(*data)
        length_array = (ctypes.c_size_t * count)(*(len(key) for key in data))
        stride = max(1, self.value_max)
        values = ctypes.create_string_buffer(stride * count)
        value_lengths = (ctypes.c_size_t * count)()
        absent = ctypes.c_size_t(-1).value
        attempts = self.READ_ATTEMPTS if attempts is None else attempts
        if attempts < 1:
            raise ValueError(f"attempts={attempts}: at least 1")
        with Snapshot(self, False) as snapshot:
            for attempt in range(1, attempts + 1):
                code = _lib.trindle_txn_get_many(
                    snapshot._live(), count, key_array, length_array, values, stride, value_lengths
                )
                if code != _native.E_CONFLICT or attempt >= attempts:
                    _check(code)
                    raw = values.raw
                    return [
                        None if value_lengths[i] == absent else raw[i * stride : i * stride + value_lengths[i]]
                        for i in range(count)
                    ]
                _back_off(attempt)
                snapshot.restart()
        raise AssertionError("unreachable")

    def snapshot(self) -> Snapshot:
        """A new snapshot: it sees the commits made before now. Close it (or use it as a context manager)."""
        return Snapshot(self, False)

    def transaction(self) -> Transaction:
        """A new transaction on a writable table: a snapshot plus puts and deletes, made all at once by ``commit``."""
        return Transaction(self)

    def read(self, fn: Callable[[Snapshot], T], attempts: Optional[int] = None) -> T:
        """Runs ``fn(snapshot)`` and returns what it returns; on TableConflict, runs it again on a newer snapshot, at
        most ``attempts`` times (READ_ATTEMPTS), then lets the conflict through."""
        attempts = self.READ_ATTEMPTS if attempts is None else attempts
        with Snapshot(self, False) as snapshot:
            for attempt in range(1, attempts + 1):
                try:
                    return fn(snapshot)
                except TableConflict:
                    if attempt >= attempts:
                        raise
                _back_off(attempt)
                snapshot.restart()
        raise ValueError(f"attempts={attempts}: at least 1")

    def write(self, fn: Callable[[Transaction], T], attempts: Optional[int] = None) -> T:
        """Runs ``fn(txn)`` on a new transaction, commits it, and returns what ``fn`` returned; on TableConflict
        (from ``fn`` or the commit), runs it again on a restarted one, backing off a little more each time, at most
        ``attempts`` times (WRITE_ATTEMPTS). Raises TableFull if a new key does not fit (nothing committed)."""
        attempts = self.WRITE_ATTEMPTS if attempts is None else attempts
        with Transaction(self) as txn:
            for attempt in range(1, attempts + 1):
                try:
                    result = fn(txn)
                    txn.commit()
                    return result
                except TableConflict:
                    if attempt >= attempts:
                        raise
                _back_off(attempt)
                txn.restart()
        raise ValueError(f"attempts={attempts}: at least 1")

    def get(self, key: Bytes) -> Optional[bytes]:
        """The value of ``key`` now (a snapshot of its own), or None."""
        return self.read(lambda snapshot: snapshot.get(key))

    def put(self, key: Bytes, value: Bytes) -> None:
        """Puts ``value`` under ``key`` in a transaction of its own."""
        self.write(lambda txn: txn.put(key, value))

    def delete(self, key: Bytes) -> None:
        """Deletes ``key`` in a transaction of its own."""
        self.write(lambda txn: txn.delete(key))

    def recover(self) -> int:
        """Recovers every writer slot whose writer died (a commit past its commit point is finished, one before it
        undone), as the supervisor does when a worker exits; returns how many. Needs a writable table."""
        return _check(_lib.trindle_table_recover(self._live()))

    def close(self) -> None:
        """Frees the writer slot, unmaps the table and closes its fd (for a granted table, the connection does that
        when it closes). Snapshots and transactions still open must not be used again."""
        if self._handle is not None:
            if self._owner is None:
                _lib.trindle_table_close(self._handle)
            self._handle = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False

    def __repr__(self) -> str:
        state = "closed" if self._handle is None else "writable" if self.writable else "read-only"
        return (
            f"Table(name={self.name!r}, id={self.id:#x}, entries={self.entry_count}, key_max={self.key_max}, "
            f"value_max={self.value_max}, {state})"
        )


class Snapshot:
    """A snapshot of a table: ``get`` and ``items`` see the commits made before it began (or raise TableConflict
    if a later one wrote what they read). Close it, or use it as a context manager."""

    def __init__(self, table: Table, write: bool) -> None:
        self._table = table
        handle = ctypes.c_void_p()
        _check(_lib.trindle_txn_begin(table._live(), 1 if write else 0, ctypes.byref(handle)))
        self._handle: Optional[int] = handle.value
        self._value = ctypes.create_string_buffer(max(1, table.value_max))
        self._key = ctypes.create_string_buffer(max(1, table.key_max))
        self._length = ctypes.c_size_t()

    def _live(self) -> int:
        self._table._live()
        if self._handle is None:
            raise ValueError("the snapshot is closed")
        return self._handle

    def get(self, key: Bytes) -> Optional[bytes]:
        """The value of ``key``, or None if it is absent or deleted (in a transaction: as its own last put or
        delete of the key left it)."""
        data = _bytes(key)
        code = _lib.trindle_txn_get(
            self._live(), data, len(data), self._value, len(self._value), ctypes.byref(self._length)
        )
        if code == _native.E_NOT_FOUND:
            return None
        _check(code)
        # string_at copies the value alone; .raw would copy the whole buffer (the table's longest value) first.
        return ctypes.string_at(self._value, self._length.value)

    def __contains__(self, key: Bytes) -> bool:
        return self.get(key) is not None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every key with a value and its value, in hash order (not key order), as of the snapshot's beginning (a
        transaction's own puts and deletes are not among them). Consume it inside ``read`` or ``write``: a
        conflict met halfway raises TableConflict, and the function runs again."""
        cursor = ctypes.c_uint32(0)
        key_length = ctypes.c_size_t()
        value_length = ctypes.c_size_t()
        while True:
            code = _lib.trindle_txn_next(
                self._live(),
                ctypes.byref(cursor),
                self._key,
                len(self._key),
                ctypes.byref(key_length),
                self._value,
                len(self._value),
                ctypes.byref(value_length),
            )
            if code == 0:
                return
            _check(code)
            yield ctypes.string_at(self._key, key_length.value), ctypes.string_at(self._value, value_length.value)

    def restart(self) -> None:
        """Starts again from now: a newer snapshot (for a transaction: no reads, no writes)."""
        _check(_lib.trindle_txn_restart(self._live()))

    def close(self) -> None:
        """Ends it (a transaction without committing it)."""
        if self._handle is not None:
            _lib.trindle_txn_free(self._handle)
            self._handle = None

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exception: object) -> bool:
        self.close()
        return False


class Transaction(Snapshot):
    """A transaction of a writable table: a snapshot plus puts and deletes, all made at once by ``commit``, or none
    of them. After a commit (or a TableConflict), ``restart`` it to go on."""

    def __init__(self, table: Table) -> None:
        super().__init__(table, True)

    def put(self, key: Bytes, value: Bytes) -> None:
        """Puts ``value`` under ``key`` when the transaction commits. Raises TrindleError (TRINDLE_E_INVALID) for a key
        or value too long, or writes that no longer fit the writer's redo area (commit in smaller transactions)."""
        key_data = _bytes(key)
        value_data = _bytes(value)
        _check(_lib.trindle_txn_put(self._live(), key_data, len(key_data), value_data, len(value_data)))

    def delete(self, key: Bytes) -> None:
        """Deletes ``key`` when the transaction commits (an absent key too)."""
        data = _bytes(key)
        _check(_lib.trindle_txn_delete(self._live(), data, len(data)))

    def commit(self) -> None:
        """Commits every put and delete, all or none. Raises TableConflict (nothing committed: restart and run it
        again) or TableFull (a new key found the table full: nothing committed)."""
        _check(_lib.trindle_txn_commit(self._live()))

    def __enter__(self) -> Transaction:
        return self


__all__ = ["Table", "Snapshot", "Transaction", "Bytes"]
