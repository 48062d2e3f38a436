"""Python asyncio peer of perf/coro/crawlers_bench.cpp: N crawlers that each wait 0.2 s and
finish, as tasks on a fresh default event loop. Prints one line, "<wall seconds> <cpu
seconds> <resident bytes added>": the wall time from the first create_task until the last
crawler finished, the process's CPU time over the same span, and the resident-set growth
(from /proc/self/statm) while all N wait. Interpreter start-up and imports are not counted.

usage: asyncio_crawlers.py N
"""

import asyncio
import os
import sys
import time

WAIT_S = 0.2


def resident_bytes():
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def crawl(n):
    loop = asyncio.new_event_loop()
    done = loop.create_future()
    finished = 0

    async def crawler():
        nonlocal finished
        await asyncio.sleep(WAIT_S)
        finished += 1
        if finished == n:
            done.set_result(None)

    before = resident_bytes()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        loop.create_task(crawler())
    loop.call_soon(loop.stop)  # queued after every task's first step: one iteration starts them all
    loop.run_forever()
    waiting = resident_bytes()
    loop.run_until_complete(done)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"{wall:.9f} {cpu:.9f} {waiting - before}", flush=True)
    os._exit(0)  # skip tearing the loop down, as the C++ children do


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    crawl(int(argv[1]))


if __name__ == "__main__":
    main(sys.argv)
