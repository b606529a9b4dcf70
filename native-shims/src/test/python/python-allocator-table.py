"""python-allocator-table — a test worker that makes tables from an allocator, as trindle-c-allocator-table does: a
table of 256 KiB (keys and values of up to 16 bytes, 4 writers), charged to the allocator (its quota: 256 KiB), into
which it writes a key and from which it reads it back; then one more of the same, which the quota cannot hold, and
one of 4096 bytes, too small for a table; then, once the file "go" exists (the test creates it when it has seen the
status), it exits.

usage: python3 python-allocator-table.py ALLOCATOR
prints: "table of E entries, keys to K bytes, values to V, W writers; writer slot S", "read back apples = 3.10",
"refused CODE_NAME: REASON" twice, "waiting".
"""

import os
import sys
import time

import trindle

with trindle.connect() as t:
    scratch = t.allocator(sys.argv[1])
    t.ready()
    with t.create_table(scratch, 256 * 1024, key_max=16, value_max=16, writer_count=4) as prices:
        print(
            f"table of {prices.entry_count} entries, keys to {prices.key_max} bytes, values to {prices.value_max}, "
            f"{prices.writer_count} writers; writer slot {prices.writer}",
            flush=True,
        )
        prices.write(lambda txn: txn.put(b"apples", b"3.10"))  # runs again on a conflict, then commits
        price = prices.read(lambda snapshot: snapshot.get(b"apples"))
        print(f"read back apples = {(price or b'absent').decode()}", flush=True)
        for size in (256 * 1024, 4096):
            try:
                t.create_table(scratch, size, key_max=16, value_max=16, writer_count=4).close()
                print(f"a table of {size} bytes was ALLOWED", flush=True)
            except trindle.TrindleError as refused:
                print(f"refused {refused.name}: {refused.detail}", flush=True)
        print("waiting", flush=True)
        while not os.path.exists("go"):
            time.sleep(0.01)  # the test looks at the status meanwhile
        # Given back, its bytes return to the allocator: the table refused for want of quota now fits.
        t.release(prices)
        t.release(t.create_table(scratch, 256 * 1024, key_max=16, value_max=16, writer_count=4))
        print(f"released; a table of {256 * 1024} bytes fits again", flush=True)
