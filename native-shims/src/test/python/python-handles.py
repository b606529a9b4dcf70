"""python-handles — a test worker for handles in motion (control-protocol.md §4), the Python twin of
trindle-c-handles (and of the Java workers Alice and Bob of CapabilityTest), printing what happened on its side the
way they do, one line per step.

usage: python3 python-handles.py sender    (grants: mail send; doc read, write, duplicate, transfer; secret read)
       python3 python-handles.py receiver  (grants: mail receive)
exit status: 0 done, 1 failure, 70 the supervisor is gone.
"""

import mmap
import os
import select
import struct
import sys

import trindle

NAMES = ["READ", "WRITE", "EXECUTE", "SEND", "RECEIVE", "DUPLICATE", "TRANSFER"]
KINDS = {trindle.OBJECT_SEGMENT: "SEGMENT", trindle.OBJECT_PIPE: "PIPE", trindle.OBJECT_BUNDLE: "BUNDLE"}


def rights_text(rights):
    """The rights as the Java Rights write them: READ|WRITE|… in bit order."""
    names = [name for bit, name in enumerate(NAMES) if int(rights) & (1 << bit)]
    return "|".join(names) if names else "NONE"


def sender(t):
    mail = t.sender("mail")
    doc = t.segment("doc")
    secret = t.segment("secret")
    t.ready()
    doc.memory[0:11] = b"shared text"

    t.send(mail, b"dup", trindle.duplicate(doc, trindle.RIGHT_READ))
    print(f"sent a READ duplicate of doc; still holds doc with {rights_text(doc.rights)}", flush=True)
    try:
        t.send(mail, b"wide", trindle.duplicate(doc, trindle.RIGHT_READ | trindle.RIGHT_WRITE | trindle.RIGHT_EXECUTE))
        print("widening NOT REFUSED")
    except trindle.AccessDenied as e:
        print(f"widening refused: {e.detail}", flush=True)
    try:
        t.send(mail, b"secret", trindle.move(secret))
        print("moving secret NOT REFUSED")
    except trindle.AccessDenied as e:
        held = str(t.segment("secret") is secret).lower()
        print(f"moving secret refused: {e.detail}; still holds secret: {held}", flush=True)

    doc_handle = trindle.Handle.of(doc)
    t.send(mail, b"move", trindle.move(doc))
    try:
        t.segment("doc")
        closed = False
    except trindle.NotFound:
        closed = True
    print(f"moved doc; its segment is closed: {str(closed).lower()}", flush=True)
    try:
        t.send(mail, b"again", trindle.move(doc_handle))
        print("a second move NOT REFUSED")
    except trindle.AccessDenied as e:
        print(f"a second move refused: {e.detail}", flush=True)

    with t.create_pipe(1 << 20) as pipe:
        with trindle.LaneSender.open(os.dup(pipe.fd)) as filler:
            for i in range(10000):
                if not filler.try_send(struct.pack("<q", i)):
                    raise SystemExit("the pipe is full")
        t.send(mail, b"pipe", trindle.move(pipe))
    print("sent a pipe holding 10000 messages", flush=True)

    with t.create_pipe(4096) as packed:
        rights = rights_text(packed.rights)
        with t.bundle(b"packed", trindle.move(packed)) as bundle:
            t.send(mail, b"bundle", trindle.move(bundle))
    print(f"sent a bundle with {rights} holding a pipe", flush=True)

    with t.create_pipe(4096) as spare:
        t.send(mail, b"reject me", trindle.move(spare))
    # Waits for the bounce: sleeps on the control channel until it has something, then takes what came.
    bounces = t.bounces()
    while not bounces:
        ready, _, _ = select.select([t.control_fd], [], [], 30)
        if not ready:
            raise SystemExit("no bounce within 30 s")
        bounces = t.bounces()
    for bounce in bounces:
        print(
            f"bounce on {bounce.pipe}: sequence={bounce.sequence} reason='{bounce.reason}' "
            f"head='{bounce.head.decode()}' handles={len(bounce.handles)}, the first with "
            f"{rights_text(bounce.handles[0].rights)}",
            flush=True,
        )
        for handle in bounce.handles:
            handle.close()


def use_segment(text, handle):
    fd = handle.fd
    with handle.map() as segment:
        try:
            mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE).close()
            write = "allowed"
        except PermissionError:
            write = "refused with EACCES"
        read = bytes(segment.memory[0:11]).decode()
        rights = rights_text(segment.rights)
        print(f"'{text}': took a segment with {rights}, read '{read}', a writable mapping was {write}")


def use_pipe(handle):
    rights = handle.rights
    with trindle.PipeReceiver.open([handle.detach()]) as receiver:
        inbox = trindle.Inbox(256)
        expected = 0
        in_order = True
        while (count := receiver.receive(inbox, 10)) > 0:
            for message in inbox:
                in_order &= struct.unpack_from("<q", message.data)[0] == expected
                expected += 1
            inbox.release()
    end = "its end" if count == trindle.END_OF_STREAM else "nothing"
    print(
        f"'pipe': took a pipe with {rights_text(rights)} and read {expected} messages, "
        f"in order: {str(in_order).lower()}, then {end}"
    )


def handle_message(t, message):
    text = message.bytes().decode()
    info = ", ".join(
        f"{KINDS.get(a.kind, 'UNKNOWN')} {rights_text(a.rights)} {a.size} bytes" for a in message.attachments
    )
    print(f"got '{text}' from lane {message.lane_id} with [{info}]")
    if text == "reject me":
        t.reject(message, "no thanks")
        print("rejected 'reject me'")
        return
    try:
        handles = t.take(message)
    except trindle.AccessDenied as e:
        print(f"refused '{text}': {e.detail}")
        return
    if text in ("dup", "move"):
        use_segment(text, handles[0])
    elif text == "pipe":
        use_pipe(handles[0])
    elif text == "bundle":
        data, inside = t.unpack(handles[0])
        first = rights_text(inside[0].rights) if inside else "-"
        print(f"'bundle': unpacked '{data.decode()}' and {len(inside)} handle(s), the first with {first}")
        for handle in inside:
            handle.close()
    else:
        print(f"'{text}': took {len(handles)} handle(s) with {rights_text(handles[0].rights)}")
    for handle in handles:
        handle.close()


def receiver(t):
    t.receiver()
    t.ready()
    for batch in t.batches(timeout=1):
        for message in batch:
            handle_message(t, message)
        sys.stdout.flush()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("sender", "receiver"):
        print("usage: python-handles.py sender|receiver", file=sys.stderr)
        return 1
    try:
        with trindle.connect() as t:
            if sys.argv[1] == "sender":
                sender(t)
            else:
                receiver(t)
    except trindle.SupervisorGone:
        return trindle.SUPERVISOR_GONE_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
