"""Handles in motion from Python, against a supervisor played by this test over a socket pair: a duplicate sent
(the transfer frame and the record in the lane), a stop and a bounce read while waiting for the reply, a redeem
taken and mapped, a refused one raising AccessDenied, a reject, a pipe created, a bundle made and unpacked; a
pipe's resize asked for, granted and refused with the supervisor's reason.

Each reply is queued on the socket before the call that waits for it: libtrindle reads frames in order until the
one with its request id.
"""

import array
import os
import re
import socket
import struct
import unittest

from support import INCLUDE, load_trindle

MAGIC = 0x4C544354
HELLO, GRANT, GRANTS_DONE, STOP = 1, 2, 3, 5
TRANSFER, TRANSFER_REPLY, REDEEM, HANDLES, REJECT, BOUNCE, CREATE_PIPE, CREATE_BUNDLE, UNPACK = range(6, 15)
RESIZE = 27
SEGMENT, PIPE, BUNDLE = 1, 2, 3
PIPE_ID = 0x4242


def layout():
    text = (INCLUDE / "trindle-layout.h").read_text()
    return {
        name: int(value, 0) for name, value in re.findall(r"#define TRINDLE_(LANE_\w+) (0x[0-9a-f]+|\d+)u?\n", text)
    }


def memfd(size, data=b""):
    import fcntl

    fd = os.memfd_create("test", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, size)
    if data:
        os.pwrite(fd, data, 0)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
    return fd


def lane_file(capacity):
    """A ready lane, as the supervisor makes one (docs/pipe-format.md §3)."""
    constants = layout()
    header = bytearray(constants["LANE_HEADER_LENGTH"])
    struct.pack_into("<I", header, constants["LANE_MAGIC_OFFSET"], constants["LANE_MAGIC"])
    struct.pack_into("<H", header, constants["LANE_VERSION_OFFSET"], constants["LANE_VERSION"])
    struct.pack_into("<I", header, constants["LANE_CAPACITY_OFFSET"], capacity)
    struct.pack_into("<I", header, constants["LANE_MAX_PAYLOAD_LENGTH_OFFSET"], capacity // 8 - 16)
    struct.pack_into("<Q", header, constants["LANE_PIPE_ID_OFFSET"], PIPE_ID)
    struct.pack_into("<I", header, constants["LANE_LANE_ID_OFFSET"], 0)
    struct.pack_into("<I", header, constants["LANE_READY_OFFSET"], 1)
    return memfd(len(header) + capacity, bytes(header))


def string(text):
    data = text.encode()
    return struct.pack("<H", len(data)) + data


def send(sock, kind, body=b"", handles=()):
    """A frame of ``kind``; ``handles`` as (fd, object id, kind, rights, size)."""
    entries = b"".join(struct.pack("<QIIQQ", oid, k, rights, 0, size) for _, oid, k, rights, size in handles)
    frame = struct.pack("<IHHIHH", MAGIC, 1, kind, len(body), len(handles), 0) + body + entries
    fds = [fd for fd, *_ in handles]
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([frame], ancillary)


def expect(sock, kind):
    frame = sock.recv(65536, socket.MSG_DONTWAIT)
    assert struct.unpack_from("<H", frame, 6)[0] == kind
    return frame[16:]


def handles_reply(request, status=0, reason="", handles=()):
    return struct.pack("<QI", request, status) + string(reason), handles


class HandlesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.trindle = load_trindle()

    def test_send_take_reject_bounce_create_and_bundle(self):
        trindle = self.trindle
        supervisor, worker = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        doc = memfd(4096)
        lane = lane_file(1 << 16)
        all_segment = trindle.RIGHT_READ | trindle.RIGHT_WRITE | trindle.RIGHT_DUPLICATE | trindle.RIGHT_TRANSFER
        send(supervisor, HELLO, string("test") + string("w") + struct.pack("<HH", 0, 1))
        send(
            supervisor,
            GRANT,
            string("doc") + struct.pack("<IHH", all_segment, SEGMENT, 0),
            [(doc, 0x51, SEGMENT, all_segment, 4096)],
        )
        send(
            supervisor,
            GRANT,
            string("mail") + struct.pack("<IHH", trindle.RIGHT_SEND, PIPE, 0),
            [(lane, PIPE_ID, PIPE, trindle.RIGHT_SEND, 4096 + (1 << 16))],
        )
        send(supervisor, GRANTS_DONE)
        t = trindle.connect(os.dup(worker.fileno()))
        worker.close()
        mail, segment = t.sender("mail"), t.segment("doc")
        segment.memory[0:11] = b"shared text"

        # A duplicate: a bounce and a stop come before the reply, and are kept.
        returned = memfd(4096)
        send(
            supervisor,
            BOUNCE,
            string("mail") + struct.pack("<Q", 7) + string("no thanks") + string("reject me"),
            [(returned, 0x52, SEGMENT, trindle.RIGHT_READ, 4096)],
        )
        send(supervisor, STOP)
        send(supervisor, TRANSFER_REPLY, struct.pack("<QIQ", 1, 0, 0xABCDEF) + string(""))
        t.send(mail, b"dup", trindle.duplicate(segment, trindle.RIGHT_READ))
        body = expect(supervisor, TRANSFER)
        assert struct.unpack_from("<QQIHHQIH", body) == (1, PIPE_ID, 0, 1, 0, 0x51, trindle.RIGHT_READ, 1)
        assert t.stop_requested
        [bounce] = t.bounces()
        assert (bounce.pipe, bounce.sequence, bounce.reason, bounce.head) == ("mail", 7, "no thanks", b"reject me")
        assert len(bounce.handles) == 1 and bounce.handles[0].object_id == 0x52 and bounce.handles[0].fd >= 0
        bounce.handles[0].close()
        assert t.bounces() == []

        # The record: a message with handles, the token, the attachment as declared.
        receiver = trindle.PipeReceiver.open([os.dup(lane)])
        inbox = trindle.Inbox(4)
        assert receiver.poll(inbox) == 1
        message = inbox[0]
        assert message.bytes() == b"dup" and message.attachment_token == 0xABCDEF
        assert message.attachments == [trindle.Attachment(SEGMENT, trindle.RIGHT_READ, 4096)]

        # Redeem, map, read; then a refused redeem.
        body, handles = handles_reply(2, handles=[(doc, 0x53, SEGMENT, trindle.RIGHT_READ, 4096)])
        send(supervisor, HANDLES, body, handles)
        [handle] = t.take(message)
        expect(supervisor, REDEEM)
        with handle.map() as mapped:
            assert bytes(mapped.memory[0:11]) == b"shared text" and not mapped.writable
        body, _ = handles_reply(3, status=6, reason="token 0xabcdef was already redeemed")
        send(supervisor, HANDLES, body)
        with self.assertRaisesRegex(trindle.AccessDenied, r"already redeemed \(status 6, already redeemed\)"):
            t.take(message)
        expect(supervisor, REDEEM)

        # Reject: the frame names the message and carries the reason and its first bytes.
        t.reject(message, "no thanks")
        body = expect(supervisor, REJECT)
        assert struct.unpack_from("<QIQQ", body) == (PIPE_ID, 0, message.sequence, 0xABCDEF)
        assert body[28:] == string("no thanks") + string("dup")

        # Create pipe, then a bundle moving it, then unpacking the bundle.
        created = lane_file(4096)
        body, handles = handles_reply(4, handles=[(created, 0x60, PIPE, 0x78, 4096 + 4096)])
        send(supervisor, HANDLES, body, handles)
        pipe = t.create_pipe(4096)
        assert expect(supervisor, CREATE_PIPE) == struct.pack("<QI", 4, 4096)
        assert pipe.object_id == 0x60 and pipe.kind == PIPE and pipe.fd >= 0
        packed = memfd(4096, struct.pack("<I", 6) + b"packed")
        body, handles = handles_reply(
            5, handles=[(packed, 0x70, BUNDLE, trindle.RIGHT_READ | trindle.RIGHT_TRANSFER, 4096)]
        )
        send(supervisor, HANDLES, body, handles)
        with t.bundle(b"packed", trindle.move(pipe)) as bundle:
            body = expect(supervisor, CREATE_BUNDLE)
            assert struct.unpack_from("<QHHQIH", body) == (5, 1, 0, 0x60, 0x78, 0)
            assert body[28:] == string("packed")
            body, handles = handles_reply(6, handles=[(created, 0x61, PIPE, 0x78, 4096 + 4096)])
            send(supervisor, HANDLES, body, handles)
            data, inside = t.unpack(bundle)
            expect(supervisor, UNPACK)
            assert data == b"packed" and [h.object_id for h in inside] == [0x61] and bundle.fd == -1
            inside[0].close()
        pipe.close()

        # A move of the granted segment: it is the worker's no more.
        send(supervisor, TRANSFER_REPLY, struct.pack("<QIQ", 7, 0, 0x1234) + string(""))
        t.send(mail, b"move", trindle.move(segment))
        expect(supervisor, TRANSFER)
        with self.assertRaises(trindle.NotFound):
            t.segment("doc")

        receiver.close()
        t.close()
        supervisor.close()
        for fd in (doc, lane, returned, created, packed):
            os.close(fd)

    def test_resize_pipe_asks_and_raises_the_supervisors_reason(self):
        trindle = self.trindle
        supervisor, worker = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        lane = lane_file(4096)
        send(supervisor, HELLO, string("test") + string("w") + struct.pack("<HH", 0, 1))
        send(
            supervisor,
            GRANT,
            string("in") + struct.pack("<IHH", trindle.RIGHT_RECEIVE, PIPE, 0),
            [(lane, PIPE_ID, PIPE, trindle.RIGHT_RECEIVE, 4096 + 4096)],
        )
        send(supervisor, GRANTS_DONE)
        t = trindle.connect(os.dup(worker.fileno()))
        worker.close()

        send(supervisor, HANDLES, handles_reply(1)[0])
        t.resize_pipe("in", 8192)
        assert expect(supervisor, RESIZE) == struct.pack("<Q", 1) + string("in") + struct.pack("<I", 8192)

        send(supervisor, HANDLES, handles_reply(2, status=9, reason="its last resize is still under way")[0])
        with self.assertRaisesRegex(trindle.TrindleError, r"still under way \(status 9, invalid request\)") as refused:
            t.resize_pipe("in", 65536)
        assert refused.exception.name == "TRINDLE_E_INVALID"
        assert "trindle_resize_pipe(pipe='in', lane_capacity=65536) refused" in refused.exception.detail
        expect(supervisor, RESIZE)
        send(supervisor, HANDLES, handles_reply(3, status=1, reason="worker 'w' does not receive pipe 'out'")[0])
        with self.assertRaisesRegex(trindle.AccessDenied, r"does not receive pipe 'out' \(status 1, not held\)"):
            t.resize_pipe("out", 4096)
        expect(supervisor, RESIZE)

        t.close()
        supervisor.close()
        os.close(lane)
