"""sink — the last stage of samples/unix, in Python over the trindle package: prints each message of the pipe
"counts" as a line on its stdout (which the supervisor shows, prefixed with the worker's name), until the stream
ends.
"""

import sys

import trindle


def main():
    with trindle.connect() as t:
        t.ready()
        out = sys.stdout.buffer
        for batch in t.batches():
            for message in batch:
                out.write(message.bytes() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
