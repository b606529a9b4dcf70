package io.trindle.supervisor;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A worker's stderr tail keeps its last ten lines, each cut at 300 characters, however much is written. */
class StderrTailTest
{
    @Test
    void shouldKeepOnlyTheLastLinesEachCutToItsLimit()
    {
        final StderrTail tail = new StderrTail();
        for (int line = 1; line <= 1000; line++)
        {
            tail.add("line " + line);
        }
        tail.add("x".repeat(100_000));
        tail.end();

        final List<String> lines = tail.lastLines(Duration.ZERO);

        assertEquals(StderrTail.MAX_LINES, lines.size());
        assertEquals("line 992", lines.getFirst());
        assertEquals("x".repeat(StderrTail.MAX_LINE_LENGTH) + "…", lines.getLast());
    }

    @Test
    void shouldGiveWhatItHasWhenTheStreamDoesNotEndInTime()
    {
        final StderrTail tail = new StderrTail();
        tail.add("still open");

        assertEquals(List.of("still open"), tail.lastLines(Duration.ofMillis(1)));
    }
}
