#!/usr/bin/env python3
"""counter — the word-count pipeline's last stage, in Python: totals the words from the pipe "words" until every
splitter's stream has ended, counting each line once however often its words arrive, then prints the top words,
as the Java Counter does.

Each words message carries the number of the line it came from (u64, then the words, '\\n' between them). The
reader sends line n to splitter n mod replicas, and a splitter keeps the order of its lane, so on each lane of
"words" the line numbers rise: a line at or below the highest one counted from that lane was counted already
(a splitter or the reader restarted and sent it again), and is ignored.

With --checkpoint SEGMENT the counts, the highest line per lane and the lanes' positions are committed together
into a checkpoint in that segment (granted [read, write]) before each batch is released: restarted, the counter
goes on from its last commit and the result is the same as if it had never stopped. Without it, a restart
loses the counts.

    counter state (little-endian):  0: lines counted (u64)   8: repeated deliveries ignored (u64)
        16: lane count L (u32)   20: word count W (u32)
        24: L × { pipe id (u64), lane id (u32), reserved (u32), highest line counted + 1 (u64) }
        then W × count (u64), then the W words, each followed by '\\n'

usage: counter.py [--top N] [--output FILE] [--checkpoint SEGMENT]
"""

import argparse
import array
import struct
import sys

import trindle

NUMBER = struct.Struct("<Q")  # the line's number, at the start of a words message
HEAD = struct.Struct("<QQII")
LANE = struct.Struct("<QI4xQ")


class Counts:
    """The counts, the highest line counted per lane, and how they are kept in a checkpoint's state."""

    def __init__(self):
        self.lines = 0
        self.repeated = 0
        self.above = {}  # (pipe id, lane id) -> the highest line counted from that lane, plus 1
        self.index = {}  # word -> its place in counts
        self.counts = array.array("Q")
        self.vocabulary = bytearray()  # the words in index order, each followed by b"\n"

    def add(self, message):
        """Counts the words of one message unless its line was counted already."""
        payload = message.data
        (line,) = NUMBER.unpack_from(payload)
        lane = (message.pipe_id, message.lane_id)
        if line < self.above.get(lane, 0):
            self.repeated += 1
            return
        self.above[lane] = line + 1
        self.lines += 1
        words = payload[NUMBER.size :].tobytes()
        if not words:
            return
        index, counts = self.index, self.counts
        for word in words.split(b"\n"):
            at = index.get(word)
            if at is None:
                at = index[word] = len(counts)
                counts.append(0)
                self.vocabulary += word + b"\n"
            counts[at] += 1

    def encode(self):
        lanes = b"".join(LANE.pack(pipe, lane, above) for (pipe, lane), above in self.above.items())
        return b"".join(
            (
                HEAD.pack(self.lines, self.repeated, len(self.above), len(self.counts)),
                lanes,
                self.counts.tobytes(),
                self.vocabulary,
            )
        )

    @classmethod
    def decode(cls, state):
        counts = cls()
        if not state:
            return counts
        counts.lines, counts.repeated, lanes, words = HEAD.unpack_from(state)
        at = HEAD.size
        for _ in range(lanes):
            pipe, lane, above = LANE.unpack_from(state, at)
            counts.above[(pipe, lane)] = above
            at += LANE.size
        counts.counts.frombytes(state[at : at + 8 * words])
        at += 8 * words
        counts.vocabulary = bytearray(state[at:])
        for i, word in enumerate(bytes(counts.vocabulary).split(b"\n")[:words]):
            counts.index[word] = i
        return counts


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--top", type=int, default=10)
    arguments.add_argument("--output")
    arguments.add_argument("--checkpoint", metavar="SEGMENT")
    options = arguments.parse_args()

    with trindle.connect() as worker:
        checkpoint = worker.checkpoint(options.checkpoint) if options.checkpoint else None
        counts = Counts.decode(checkpoint.state) if checkpoint else Counts()
        worker.ready()
        for batch in worker.batches():
            for message in batch:
                if checkpoint is None or checkpoint.is_new(message):
                    counts.add(message)
                else:
                    counts.repeated += 1  # handled before the last restart, and committed
            if checkpoint is not None:
                # Before the next exchange releases the batch: a crash after this commit delivers the batch again,
                # and is_new skips it; a crash before it delivers the batch again, and it is counted then.
                checkpoint.commit(counts.encode(), batch)
        if checkpoint is not None:
            checkpoint.close()

    ranked = sorted(
        ((word.decode("utf-8"), counts.counts[i]) for word, i in counts.index.items()),
        key=lambda item: (-item[1], item[0]),
    )
    print(
        "%d words, %d distinct, from %d lines (%d repeated deliveries ignored); top %d (in Python):"
        % (sum(counts.counts), len(ranked), counts.lines, counts.repeated, options.top)
    )
    for word, count in ranked[: options.top]:
        print("  %s %d" % (word, count))
    if options.output:
        with open(options.output, "w", encoding="utf-8") as output:
            output.writelines("%s %d\n" % (word, count) for word, count in ranked)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
