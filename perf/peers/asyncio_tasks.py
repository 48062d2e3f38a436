"""Python asyncio peer of perf/coro/task_bench.cpp, run by peers/python_task_bench.cpp.
Each scenario mirrors the corolla version on a fresh default event loop and times only the
scenario itself (not interpreter start-up or imports): after one untimed warm-up round it
prints one line per timed round, "<wall seconds> <cpu seconds>", plus, for idle_memory,
the resident-set growth in bytes (from /proc/self/statm) while the tasks sleep.

usage: asyncio_tasks.py {task_spawn|future_pingpong|await_ready_future} N ROUNDS
       asyncio_tasks.py idle_memory N
"""

import asyncio
import os
import sys
import time


def task_spawn(loop, n):
    finished = 0

    async def trivial():
        nonlocal finished
        finished += 1

    for _ in range(n):
        loop.create_task(trivial())
    loop.call_soon(loop.stop)  # queued after every task's first step: one iteration runs them all
    loop.run_forever()
    if finished != n:
        raise SystemExit(f"task_spawn: {finished} of {n} tasks finished")


def future_pingpong(loop, n):
    # The ball is a future: a player awaits its own, re-arms it with a fresh one, then
    # completes the other player's. The server hits first and skips its last hit.
    balls = {"a": loop.create_future(), "b": loop.create_future()}

    async def player(mine, theirs, serves):
        if serves:
            balls[theirs].set_result(None)
        for i in range(n):
            await balls[mine]
            balls[mine] = loop.create_future()
            if not serves or i + 1 < n:
                balls[theirs].set_result(None)

    a = loop.create_task(player("a", "b", True))
    b = loop.create_task(player("b", "a", False))
    loop.run_until_complete(asyncio.gather(a, b))


def await_ready_future(loop, n):
    ready = loop.create_future()
    ready.set_result(1)

    async def await_done():
        total = 0
        for _ in range(n):
            total += await ready
        return total

    if loop.run_until_complete(loop.create_task(await_done())) != n:
        raise SystemExit("await_ready_future: wrong sum")


TIMED = {"task_spawn": task_spawn, "future_pingpong": future_pingpong, "await_ready_future": await_ready_future}


def resident_bytes():
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def idle_memory(n):
    loop = asyncio.new_event_loop()

    async def idle():
        await asyncio.sleep(3600)

    before = resident_bytes()
    cpu0, t0 = time.thread_time(), time.perf_counter()
    for _ in range(n):  # no reference kept, as on the C++ side: the loop's timers keep them
        loop.create_task(idle())
    loop.call_soon(loop.stop)
    loop.run_forever()  # one iteration: every task starts and parks in its sleep
    wall, cpu = time.perf_counter() - t0, time.thread_time() - cpu0
    grown = resident_bytes() - before
    parked = len(asyncio.all_tasks(loop))
    if parked != n:
        raise SystemExit(f"idle_memory: {parked} tasks parked, expected {n}")
    print(f"{wall:.9f} {cpu:.9f} {grown}", flush=True)
    os._exit(0)  # skip tearing down n pending tasks


def main(argv):
    if len(argv) == 3 and argv[1] == "idle_memory":
        idle_memory(int(argv[2]))
        return
    if len(argv) != 4 or argv[1] not in TIMED:
        raise SystemExit(__doc__)
    scenario, n, rounds = TIMED[argv[1]], int(argv[2]), int(argv[3])
    loop = asyncio.new_event_loop()
    scenario(loop, n)  # warm-up, as on the C++ side
    for _ in range(rounds):
        cpu0, t0 = time.thread_time(), time.perf_counter()
        scenario(loop, n)
        print(f"{time.perf_counter() - t0:.9f} {time.thread_time() - cpu0:.9f}", flush=True)
    loop.close()


if __name__ == "__main__":
    main(sys.argv)
