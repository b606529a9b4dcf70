package io.trindle.supervisor.config;

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
        assertEquals(Rights.of(Right.READ, Right.WRITE), RuntimeRights.parse("write,read", "board", "w", false));
        assertEquals(Rights.of(Right.READ), RuntimeRights.parse("read", "board", "w", false));
        assertEquals(Rights.of(Right.ALLOCATE, Right.TRANSFER), RuntimeRights.parse("allocate,transfer", "pool", "w",
            true));
    }

    @Test
    void shouldRefuseWhatAConfigGrantRefuses()
    {
        refused("reed", false, "unknown right 'reed' in the grant of 'board' to worker 'w'; did you mean 'read'? (a " +
            "segment takes only read, write, execute, duplicate and transfer)");
        refused("alocate", true, "unknown right 'alocate' in the grant of 'board' to worker 'w'; did you mean " +
            "'allocate'? (an allocator takes only allocate, duplicate and transfer)");
        refused("send", false, "worker 'w' is granted send on segment 'board', but a segment takes only read, write, " +
            "execute, duplicate and transfer");
        refused("read,read", false, "right 'read' is listed twice in the grant of 'board' to worker 'w'");
        refused("write", false, "worker 'w' is granted write on segment 'board' without read; grant read,write (a " +
            "writable mapping is readable too)");
        refused(",", true, "the grant of 'board' to worker 'w' gives no right; an allocator takes only allocate, " +
            "duplicate and transfer (as names separated by commas: read,write)");
    }

    private static void refused(final String rights, final boolean allocator, final String why)
    {
        assertEquals(why, assertThrows(IllegalArgumentException.class,
            () -> RuntimeRights.parse(rights, "board", "w", allocator)).getMessage());
    }
}
