"""Python asyncio peer of perf/sync/sync_bench.cpp and perf/queue/queue_bench.cpp, run by
peers/python_sync_bench.cpp. Each scenario mirrors the corolla version on a fresh default
event loop and times only the scenario itself (not interpreter start-up or imports): after
one untimed warm-up round it prints one line per timed round, "<wall seconds> <cpu seconds>".
N counts the items the figure is divided by: acquire+release pairs, hand-offs, event hops
(set -> waiter resumes), or queue items.

usage: asyncio_sync.py SCENARIO N ROUNDS
       SCENARIO: lock_uncontended, lock_handoff, event_set_resume, queue_throughput_1,
                 queue_throughput_1024
"""

import asyncio
import sys
import time


def lock_uncontended(loop, n):
    lock = asyncio.Lock()

    async def locker():
        for _ in range(n):
            await lock.acquire()
            lock.release()

    loop.run_until_complete(locker())
    if lock.locked():
        raise SystemExit("lock_uncontended: the lock is still held")


def lock_handoff(loop, n):
    # As in corolla: the lock is held until both tasks wait for it; asyncio.Lock is fair
    # (an acquire() while others wait lines up behind them), so from then on every
    # release() wakes the other task, which takes the lock when it runs.
    lock = asyncio.Lock()
    turns = n // 2

    async def taker():
        for _ in range(turns):
            await lock.acquire()
            lock.release()

    async def main():
        await lock.acquire()
        a = loop.create_task(taker())
        b = loop.create_task(taker())
        await asyncio.sleep(0)  # both start and wait for the lock
        waiters = getattr(lock, "_waiters", None)  # a check on CPython's internals, where present
        if waiters is not None and len(waiters) != 2:
            raise SystemExit("lock_handoff: the tasks did not line up")
        lock.release()
        await asyncio.gather(a, b)

    loop.run_until_complete(main())


def event_set_resume(loop, n):
    # An event ping-pong: each player waits on its own event, clears it and sets the other's.
    hits = n // 2
    to_a, to_b = asyncio.Event(), asyncio.Event()

    async def player(mine, theirs, serves):
        if serves:
            theirs.set()
        for i in range(hits):
            await mine.wait()
            mine.clear()
            if not serves or i + 1 < hits:
                theirs.set()

    async def main():
        await asyncio.gather(player(to_a, to_b, True), player(to_b, to_a, False))

    loop.run_until_complete(main())


def queue_throughput(maxsize):
    def scenario(loop, n):
        q = asyncio.Queue(maxsize)
        total = 0

        async def producer():
            for i in range(n):
                await q.put(i)

        async def consumer():
            nonlocal total
            for _ in range(n):
                total += await q.get()

        async def main():
            await asyncio.gather(producer(), consumer())

        loop.run_until_complete(main())
        if total != n * (n - 1) // 2:
            raise SystemExit("queue_throughput: wrong sum")

    return scenario


TIMED = {
    "lock_uncontended": lock_uncontended,
    "lock_handoff": lock_handoff,
    "event_set_resume": event_set_resume,
    "queue_throughput_1": queue_throughput(1),
    "queue_throughput_1024": queue_throughput(1024),
}


def main(argv):
    if len(argv) != 4 or argv[1] not in TIMED:
        raise SystemExit(__doc__)
    scenario, n, rounds = TIMED[argv[1]], int(argv[2]), int(argv[3])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # 3.9's primitives bind to the current loop when made
    scenario(loop, n)  # warm-up, as on the C++ side
    for _ in range(rounds):
        cpu0, t0 = time.thread_time(), time.perf_counter()
        scenario(loop, n)
        print(f"{time.perf_counter() - t0:.9f} {time.thread_time() - cpu0:.9f}", flush=True)
    loop.close()


if __name__ == "__main__":
    main(sys.argv)
