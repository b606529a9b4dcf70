#!/usr/bin/env python3
"""counter — the word-count pipeline's last stage, in Python: totals the words from the pipe "words" until every
splitter's stream has ended, counting each line once however often its words arrive (each words message names
the line it came from: pipe id u64, lane u32, sequence u64, then the words, '\\n' between them), then prints
the top words, as the Java Counter does.

usage: counter.py [--top N] [--output FILE]
"""
import argparse
import collections
import struct
import sys

import trindle

ORIGIN = struct.Struct("<QIQ")  # the line's pipe id, lane and sequence: 20 bytes


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--top", type=int, default=10)
    arguments.add_argument("--output")
    options = arguments.parse_args()

    counts = collections.Counter()
    seen = set()
    repeated = 0
    with trindle.connect() as worker:
        worker.ready()
        for batch in worker.batches():
            for message in batch:
                payload = message.bytes()
                origin = ORIGIN.unpack_from(payload)
                if origin in seen:
                    repeated += 1
                    continue
                seen.add(origin)
                words = payload[ORIGIN.size:]
                if words:
                    counts.update(words.decode("utf-8").split("\n"))

    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    print("%d words, %d distinct, from %d lines (%d repeated deliveries ignored); top %d (in Python):"
          % (sum(counts.values()), len(counts), len(seen), repeated, options.top))
    for word, count in ranked[: options.top]:
        print("  %s %d" % (word, count))
    if options.output:
        with open(options.output, "w", encoding="utf-8") as output:
            output.writelines("%s %d\n" % (word, count) for word, count in ranked)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
