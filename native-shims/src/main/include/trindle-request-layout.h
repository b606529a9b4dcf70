/*
 * trindle-request-layout.h — the header of a request and of a reply, as named constants: request-response over a
 * pair of ordinary pipes (a requester sends requests on one, its responder sends replies on the other).
 *
 * This mirrors docs/request-response.md, byte for byte (Java: io.trindle.runtime.RequestDescriptor; Python:
 * trindle.reqrep). Every integer is little-endian at the offset given, never a dumped struct. A test
 * (HeaderConstantsTest) keeps the three sets of values equal.
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +---------------------------------------------------------------+
 *   |                     Correlation id (u64)                      |   0
 *   |                                                               |
 *   +-------------------------------+-------------------------------+
 *   |   Kind (u16): 1 req, 2 reply  |      Version (u16) = 1        |   8
 *   +-------------------------------+-------------------------------+
 *   |                       Reserved (u32) = 0                      |  12
 *   +---------------------------------------------------------------+
 *   |                     Payload, to the message's end            ...  16
 *   +---------------------------------------------------------------+
 *
 * The requester chooses the id, unique among its requests; the reply carries the id of the request it answers. A
 * message shorter than the header, or of another kind or version, is not one of these: the side that reads it
 * rejects it (its sender gets a bounce).
 */
#ifndef TRINDLE_REQUEST_LAYOUT_H
#define TRINDLE_REQUEST_LAYOUT_H

/** Where the correlation id lies. */
#define TRINDLE_REQUEST_ID_OFFSET 0
/** Where the kind lies: TRINDLE_REQUEST_KIND_REQUEST or TRINDLE_REQUEST_KIND_REPLY. */
#define TRINDLE_REQUEST_KIND_OFFSET 8
/** Where the version lies: TRINDLE_REQUEST_VERSION. */
#define TRINDLE_REQUEST_VERSION_OFFSET 10
/** Four bytes written 0 and not read: they keep the payload 8-byte aligned within the message. */
#define TRINDLE_REQUEST_RESERVED_OFFSET 12
/** The header's length: the payload starts here. */
#define TRINDLE_REQUEST_HEADER_LENGTH 16
/** The kind of a request, sent by a requester on its request pipe. */
#define TRINDLE_REQUEST_KIND_REQUEST 1
/** The kind of a reply, sent by a responder on the reply pipe paired with the request's pipe. */
#define TRINDLE_REQUEST_KIND_REPLY 2
/** The layout's version. */
#define TRINDLE_REQUEST_VERSION 1

#endif
