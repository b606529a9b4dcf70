"""python-probe — a test worker: maps the segments named on the command line and tries to write each; a segment
granted read-only must stay so whatever it tries (its memoryview, a writable mmap of its fd, an mprotect).

usage: python3 python-probe.py SEGMENT...
prints: the hello, then per segment its rights, size and CRC-32 and what each write attempt did; then what
asking for a segment never granted says.
"""

import ctypes
import errno
import mmap
import zlib

import test_messages
import trindle

libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def probe(segment):
    print(
        f"segment {segment.name} rights={segment.rights:#x} size={segment.size} "
        f"crc={zlib.crc32(segment.memory)} readonly={segment.memory.readonly}"
    )
    if segment.writable:
        segment.memory[:17] = b"written by Python"
        print(f"wrote {segment.name}")
        return
    try:
        segment.memory[0] = 0
        print("memoryview write succeeded")
    except TypeError as e:
        print(f"memoryview write: {e}")
    try:
        mmap.mmap(segment.fd, segment.size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        print("mmap_write succeeded")
    except OSError as e:
        print(f"mmap_write_errno={errno.errorcode[e.errno]}")
    if libc.mprotect(segment.address, segment.size, mmap.PROT_READ | mmap.PROT_WRITE) != 0:
        print(f"mprotect_write_errno={errno.errorcode[ctypes.get_errno()]}")
    else:
        print("mprotect_write succeeded")


def main(names):
    with trindle.connect() as t:
        print(f"hello pipeline={t.pipeline} worker={t.worker} replica={t.replica} replicas={t.replicas}")
        for name in names:
            probe(t.segment(name))
        try:
            t.segment("never-granted")
        except trindle.NotFound as e:
            print(f"missing {e.name} {e.code}: {e.detail}")
        t.ready()
    print("after close fds:", test_messages.open_fds())
    print("after close memfd mappings:", test_messages.memfd_mappings())


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
