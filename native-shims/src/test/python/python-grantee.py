"""python-grantee — the Python worker of RuntimeGrantTest, as trindle-c-grantee and the Java Grantee are the others:
it makes a segment of 32 KiB from its allocator, then answers notices until it is asked to stop. A segment granted
at run time is taken by its name: with WRITE it writes its tag at its slot (SLOT x 64 bytes in) and says "NAME rw:
wrote TAG"; without, it says "NAME ro: reads T1 T2 ..." (the tags written there) and tries to mprotect its mapping
writable, which the kernel refuses for a read-only fd ("NAME ro: write refused errno=13"). A give-back notice makes
it release its segment ("give back N: released 32768").

usage: python3 python-grantee.py ALLOCATOR TAG SLOT
"""

import ctypes
import mmap
import select
import sys

import trindle

PAGE = 4096
SLOT_BYTES = 64
SLOTS = 3

libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def granted(segment: trindle.Segment, name: str, tag: str, slot: int) -> None:
    if segment.rights & trindle.Rights.WRITE:
        segment.memory[slot * SLOT_BYTES : slot * SLOT_BYTES + len(tag)] = tag.encode()
        print(f"{name} rw: wrote {tag}", flush=True)
        return
    tags = []
    for i in range(SLOTS):
        text = bytes(segment.memory[i * SLOT_BYTES : (i + 1) * SLOT_BYTES]).split(b"\0")[0]
        if text:
            tags.append(text.decode())
    print(f"{name} ro: reads {' '.join(tags)}", flush=True)
    if libc.mprotect(segment.address, segment.size, mmap.PROT_READ | mmap.PROT_WRITE) == 0:
        print(f"{name} ro: write ALLOWED", flush=True)
    else:
        print(f"{name} ro: write refused errno={ctypes.get_errno()}", flush=True)


with trindle.connect() as t:
    pool = t.allocator(sys.argv[1])
    t.ready()
    made: trindle.Segment | None = t.create_segment(pool, 8 * PAGE)
    print(f"made {made.size}", flush=True)
    while not t.stop_requested:
        for notice in t.notices():
            if notice.kind == trindle.NoticeKind.GRANTED:
                granted(t.segment(notice.details), notice.details, sys.argv[2], int(sys.argv[3]))
            elif notice.kind == trindle.NoticeKind.GIVE_BACK and made is not None:
                size = made.size
                t.release(made)
                made = None
                print(f"give back {notice.used}: released {size}", flush=True)
        select.select([t.control_fd], [], [], 0.1)  # sleep until the supervisor says something, or look again
