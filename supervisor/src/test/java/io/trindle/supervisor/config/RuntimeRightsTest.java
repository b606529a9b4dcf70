package io.trindle.supervisor.config;

import io.trindle.ipc.ObjectKind;
import io.trindle.ipc.Right;
import io.trindle.ipc.Rights;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The rights of {@code trindle grant}, checked by the rules and in the words of a config's grant. */
class RuntimeRightsTest
{
    @Test
    void shouldReadRightsSeparatedByCommasForTheObjectsKind()
    {
        assertEquals(Rights.of(Right.READ, Right.WRITE),
            RuntimeRights.parse("write,read", "board", "w", ObjectKind.SEGMENT));
        assertEquals(Rights.of(Right.READ), RuntimeRights.parse("read", "board", "w", ObjectKind.SEGMENT));
        assertEquals(Rights.of(Right.ALLOCATE, Right.TRANSFER), RuntimeRights.parse("allocate,transfer", "pool", "w",
            ObjectKind.ALLOCATOR));
        assertEquals(Rights.of(Right.READ, Right.WRITE, Right.TRANSFER), RuntimeRights.parse("read,write,transfer",
            "accounts", "w", ObjectKind.TABLE));
    }

    @Test
    void shouldRefuseWhatAConfigGrantRefuses()
    {
        refused("reed", ObjectKind.SEGMENT, "unknown right 'reed' in the grant of 'board' to worker 'w'; did you " +
            "mean 'read'? (a segment takes only read, write, execute, duplicate and transfer)");
        refused("alocate", ObjectKind.ALLOCATOR, "unknown right 'alocate' in the grant of 'board' to worker 'w'; did " +
            "you mean 'allocate'? (an allocator takes only allocate, duplicate and transfer)");
        refused("send", ObjectKind.SEGMENT, "worker 'w' is granted send on segment 'board', but a segment takes only " +
            "read, write, execute, duplicate and transfer");
        refused("read,read", ObjectKind.SEGMENT, "right 'read' is listed twice in the grant of 'board' to worker 'w'");
        refused("write", ObjectKind.SEGMENT, "worker 'w' is granted write on segment 'board' without read; grant " +
            "read,write (a writable mapping is readable too)");
        refused(",", ObjectKind.ALLOCATOR, "the grant of 'board' to worker 'w' gives no right; an allocator takes " +
            "only allocate, duplicate and transfer (as names separated by commas: read,write)");
        refused("execute", ObjectKind.TABLE, "worker 'w' is granted execute on table 'board', but a table takes only " +
            "read, write, duplicate and transfer");
    }

    private static void refused(final String rights, final ObjectKind kind, final String why)
    {
        assertEquals(why, assertThrows(IllegalArgumentException.class,
            () -> RuntimeRights.parse(rights, "board", "w", kind)).getMessage());
    }
}
