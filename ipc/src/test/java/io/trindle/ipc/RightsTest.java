package io.trindle.ipc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RightsTest
{
    @Test
    void shouldKeepTheWireBitsFixed()
    {
        assertEquals(0x01, Right.READ.bit());
        assertEquals(0x02, Right.WRITE.bit());
        assertEquals(0x04, Right.EXECUTE.bit());
        assertEquals(0x08, Right.SEND.bit());
        assertEquals(0x10, Right.RECEIVE.bit());
        assertEquals(0x20, Right.DUPLICATE.bit());
        assertEquals(0x40, Right.TRANSFER.bit());
        assertEquals(0x80, Right.ALLOCATE.bit());
        assertEquals(0xff, Rights.VALID_BITS);
    }

    @Test
    void shouldCompareAsSets()
    {
        final Rights readWrite = Rights.of(Right.READ, Right.WRITE);
        final Rights read = Rights.of(Right.READ);
        assertTrue(read.isSubsetOf(readWrite));
        assertFalse(readWrite.isSubsetOf(read));
        assertTrue(Rights.NONE.isSubsetOf(read));
        assertEquals(read, readWrite.without(Right.WRITE));
        assertEquals(read, readWrite.intersect(Rights.of(Right.READ, Right.SEND)));
        assertEquals(Rights.of(Right.WRITE), readWrite.minus(read));
        assertEquals(readWrite, Rights.fromBits(0x03));
        assertEquals(readWrite.hashCode(), Rights.fromBits(0x03).hashCode());
    }

    @Test
    void shouldNameEachRight()
    {
        assertEquals("READ|DUPLICATE|TRANSFER", Rights.of(Right.TRANSFER, Right.READ, Right.DUPLICATE).toString());
        assertEquals("NONE", Rights.NONE.toString());
    }

    @Test
    void shouldRejectUnknownBits()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rights.fromBits(0x100));
        assertEquals("invalid rights mask: bits=0x100, valid=0xff", e.getMessage());
    }
}
