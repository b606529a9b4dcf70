package io.trindle.supervisor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllocationsTest
{
    @Test
    void shouldMoveAChargeToTheCopyOfARehomedSegmentWithoutChangingTheUse()
    {
        final Allocations allocations = new Allocations();
        final Allocations.Allocator pipeline = allocations.pipeline();
        allocations.charge(pipeline, 1, 8192);

        allocations.recharge(1, 2);

        assertFalse(allocations.isCharged(1), "the old segment is charged no more");
        assertTrue(allocations.isCharged(2), "the copy is charged in its place");
        assertEquals(8192, pipeline.used());
        allocations.free(1);
        assertEquals(8192, pipeline.used(), "freeing the old segment's id gives nothing back twice");
        allocations.free(2);
        assertEquals(0, pipeline.used(), "freeing the copy gives its bytes back");
    }
}
