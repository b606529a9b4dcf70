/*
 * trindle-struct-layout — prints the layout of the public structs of trindle.h as this compiler lays them out,
 * for the test that holds the Python binding's ctypes structs (python/trindle/_native.py) to them.
 *
 * usage: trindle-struct-layout
 * prints: per struct "struct NAME SIZE", then per field, in declaration order, "field NAME.FIELD OFFSET SIZE".
 * The test also checks this list against the header's own field list, so a field added there and missed here
 * fails too.
 */
#include <stddef.h>
#include <stdio.h>

#include "trindle.h"

#define STRUCT(type) printf("struct %s %zu\n", #type, sizeof(type))
#define FIELD(type, field)                                                                                             \
    printf("field %s.%s %zu %zu\n", #type, #field, offsetof(type, field), sizeof(((type *)0)->field))

int main(void)
{
    STRUCT(trindle_claim_t);
    FIELD(trindle_claim_t, payload);
    FIELD(trindle_claim_t, length);
    FIELD(trindle_claim_t, position);

    STRUCT(trindle_message_t);
    FIELD(trindle_message_t, payload);
    FIELD(trindle_message_t, length);
    FIELD(trindle_message_t, lane_id);
    FIELD(trindle_message_t, pipe_id);
    FIELD(trindle_message_t, sequence);
    FIELD(trindle_message_t, lane_index);
    FIELD(trindle_message_t, reserved);
    FIELD(trindle_message_t, release_position);
    FIELD(trindle_message_t, release_count);
    FIELD(trindle_message_t, attachment_count);
    FIELD(trindle_message_t, reserved2);
    FIELD(trindle_message_t, attachment_token);
    FIELD(trindle_message_t, attachments);

    STRUCT(trindle_attachment_t);
    FIELD(trindle_attachment_t, kind);
    FIELD(trindle_attachment_t, rights);
    FIELD(trindle_attachment_t, size);

    STRUCT(trindle_notice_t);
    FIELD(trindle_notice_t, kind);
    FIELD(trindle_notice_t, percent);
    FIELD(trindle_notice_t, object_id);
    FIELD(trindle_notice_t, used);
    FIELD(trindle_notice_t, quota);
    FIELD(trindle_notice_t, handle_count);
    FIELD(trindle_notice_t, reserved);
    FIELD(trindle_notice_t, details);
    STRUCT(trindle_handle_t);
    FIELD(trindle_handle_t, object_id);
    FIELD(trindle_handle_t, kind);
    FIELD(trindle_handle_t, rights);
    FIELD(trindle_handle_t, offset);
    FIELD(trindle_handle_t, size);
    FIELD(trindle_handle_t, fd);
    FIELD(trindle_handle_t, reserved);

    STRUCT(trindle_attach_t);
    FIELD(trindle_attach_t, handle);
    FIELD(trindle_attach_t, rights);
    FIELD(trindle_attach_t, mode);

    STRUCT(trindle_bounce_t);
    FIELD(trindle_bounce_t, pipe);
    FIELD(trindle_bounce_t, sequence);
    FIELD(trindle_bounce_t, reason);
    FIELD(trindle_bounce_t, head);
    FIELD(trindle_bounce_t, head_length);
    FIELD(trindle_bounce_t, handle_count);
    FIELD(trindle_bounce_t, handles);

    STRUCT(trindle_lane_info_t);
    FIELD(trindle_lane_info_t, pipe_id);
    FIELD(trindle_lane_info_t, lane_id);
    FIELD(trindle_lane_info_t, state);
    FIELD(trindle_lane_info_t, position);
    FIELD(trindle_lane_info_t, released);
    FIELD(trindle_lane_info_t, fault);

    STRUCT(trindle_reply_t);
    FIELD(trindle_reply_t, id);
    FIELD(trindle_reply_t, payload);
    FIELD(trindle_reply_t, length);
    FIELD(trindle_reply_t, reserved);
    return 0;
}
