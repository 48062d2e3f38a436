"""What tools/compare measures and judges, shared by compare_report.py, compare_verdicts.py,
compare.py and compare_echo.py: the acceptance targets, the scenario families (tcp_echo
configurations, crawlers, the counter scenarios), the note shown under each scenario, the
kind of a variant and the documented order of scenarios and variants. Stdlib only.
"""

from __future__ import annotations

TIME_UNITS_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# The acceptance targets: (scenario, reference, bound, text[, kinds]). The reference is
# "floor", a peer variant (the bound is on corolla/reference), or "absolute" (the bound is on
# corolla's own figure, in the scenario's unit). `kinds` are the variant kinds judged (default
# corolla only); the sync and queue targets judge corolla's fibers too, since the same objects
# serve both styles.
BOTH_STYLES = ("corolla", "fiber")
TARGETS = [
    ("loop_tick", "floor", 1.10, "loop tick <= 1.1x the raw floor of the same mechanism"),
    ("timer_start_cancel", "libuv", 1.0 / 3.0, "10^6 timer start+cancel >= 3x faster than libuv"),
    ("task_spawn", "asio", 1.0 / 5.0, "10^6 task spawns >= 5x faster than Asio co_spawn"),
    ("future_pingpong", "asio", 1.0 / 3.0, "future ping-pong >= 3x faster than Asio"),
    ("idle_task_memory", "absolute", 256.0, "idle task memory <= 256 bytes per task"),
    ("idle_task_memory", "asio", 1.0 / 3.0, "idle task memory >= 3x smaller than Asio"),
    ("fiber_switch", "floor", 1.25, "fiber switch <= 1.25x a raw Boost.Context resume pair"),
    ("fiber_switch", "boost_fiber", 1.0 / 4.0, "fiber switch >= 4x faster than Boost.Fiber yield"),
    ("fiber_spawn", "boost_fiber", 1.0 / 6.0, "10^5 fiber spawns >= 6x faster than Boost.Fiber fiber+join"),
    ("lock_handoff", "floor", 1.2, "lock hand-off <= 1.2x a bare future ping-pong hop", BOTH_STYLES),
    # Asio's channel is judged in both of its forms: with coroutines (the like of corolla's
    # coroutine tasks) and with plain completion handlers (its fastest form).
    ("queue_throughput_1", "asio", 1.0 / 5.0, "queue throughput (maxsize 1) >= 5x Asio channel (coroutines)",
     BOTH_STYLES),
    ("queue_throughput_1", "asio_callbacks", 1.0 / 5.0,
     "queue throughput (maxsize 1) >= 5x Asio channel (completion handlers)", BOTH_STYLES),
    ("queue_throughput_1", "boost_fiber", 1.0 / 2.0, "queue throughput (maxsize 1) >= 2x Boost.Fiber channel",
     BOTH_STYLES),
    ("queue_throughput_1024", "asio", 1.0 / 5.0, "queue throughput (maxsize 1024) >= 5x Asio channel (coroutines)",
     BOTH_STYLES),
    ("queue_throughput_1024", "asio_callbacks", 1.0 / 5.0,
     "queue throughput (maxsize 1024) >= 5x Asio channel (completion handlers)", BOTH_STYLES),
    ("queue_throughput_1024", "boost_fiber", 1.0 / 2.0,
     "queue throughput (maxsize 1024) >= 2x Boost.Fiber channel", BOTH_STYLES),
    # corolla:epoll against the raw epoll loop, corolla:io_uring against raw liburing (the
    # io_uring issue's >= 0.95x); poll and select have no floor of their own here.
    ("socketpair_pingpong", "floor", 1 / 0.95, "socketpair ping-pong >= 0.95x the raw floor of the same mechanism"),
]

# TCP echo (tools/compare_echo.py): one scenario per configuration, tcp_echo_<connections>x<bytes>,
# figure = wall-clock time per request (1 / throughput). The targets: >= 0.95x the
# raw epoll floor's throughput on every configuration, >= 1.15x the best peer's at >= 300
# connections; both styles of corolla's server are judged, and every backend is judged
# against the one (epoll) floor.
ECHO_SCENARIO = "tcp_echo"
ECHO_CONNECTIONS = (1, 50, 300, 1000)
ECHO_SIZES = (128, 1024)
ECHO_FLOOR = "floor:epoll"


def echo_scenario_name(connections: int, size: int) -> str:
    return f"{ECHO_SCENARIO}_{connections}x{size}"


def echo_config(scenario: str) -> tuple | None:
    """(connections, size) of a tcp_echo scenario name, else None."""
    prefix = ECHO_SCENARIO + "_"
    if not scenario.startswith(prefix):
        return None
    c, sep, b = scenario[len(prefix):].partition("x")
    if not (sep and c.isdigit() and b.isdigit()) or int(c) < 1 or int(b) < 1:
        return None
    return int(c), int(b)


for _c in ECHO_CONNECTIONS:
    for _s in ECHO_SIZES:
        TARGETS.append((echo_scenario_name(_c, _s), "floor", 1 / 0.95,
                        f"TCP echo {_c} conn x {_s} B >= 0.95x the raw epoll floor's throughput", BOTH_STYLES))
        if _c >= 300:
            TARGETS.append((echo_scenario_name(_c, _s), "best_peer", 1 / 1.15,
                            f"TCP echo {_c} conn x {_s} B >= 1.15x the best peer's throughput", BOTH_STYLES))

# Scenarios whose figure is a Google Benchmark counter, not a time: scenario -> (counter,
# unit). Lower is better, as for times. tools/compare runs them in the first round only
# (each is a deterministic count measured in a fresh child process).
COUNTER_SCENARIOS = {
    "idle_task_memory": ("bytes_per_task", "B/task"),
    "idle_fiber_memory": ("bytes_per_fiber", "B/fiber"),
    "idle_fiber_memory_small": ("bytes_per_fiber", "B/fiber"),
    "idle_fiber_memory_1m": ("bytes_per_fiber", "B/fiber"),
}

# crawlers_<N> (the seeds' crawlers, any N) and its memory counter crawlers_<N>_memory.
CRAWLERS = "crawlers"
CRAWLER_SIZES = (100, 100_000)


def crawlers_count(scenario: str) -> tuple | None:
    """(N, is_memory) of a crawlers_<N>[_memory] scenario name, else None."""
    prefix = CRAWLERS + "_"
    if not scenario.startswith(prefix):
        return None
    rest = scenario[len(prefix):]
    memory = rest.endswith("_memory")
    if memory:
        rest = rest[:-len("_memory")]
    return (int(rest), memory) if rest.isdigit() else None


def counter_of(scenario: str) -> tuple:
    """(counter, unit) of a counter scenario, ("", "") for a time scenario."""
    if scenario in COUNTER_SCENARIOS:
        return COUNTER_SCENARIOS[scenario]
    c = crawlers_count(scenario)
    if c is not None and c[1]:
        return ("bytes_per_crawler", "B/crawler")
    return ("", "")


def is_counter_scenario(scenario: str) -> bool:
    return bool(counter_of(scenario)[0])

# A peer measured in another process (Python) reports its own CPU time per iteration in this
# counter; Google Benchmark's cpu_time for it is only the waiting parent's.
CHILD_CPU_COUNTER = "child_cpu_seconds"

SCENARIO_NOTES = {
    "socketpair_pingpong": "time per round trip of 64 B (read into 4 KiB buffers) over a Unix socketpair between two coroutine tasks "
    "(sock_sendall / sock_recv_into; io_uring runs them natively); floor:epoll: send, epoll_wait, recv by hand; "
    "floor:io_uring: recv submitted to the kernel, send, one wait per hop, with liburing",
    "loop_tick": "one empty iteration: run_once(nowait) vs a raw zero-timeout poll of one idle eventfd; "
    "libuv: uv_run(UV_RUN_NOWAIT) with one active uv_async_t",
    "call_soon": "time per callback: a batch of call_soon callbacks and the iteration that runs them; "
    "floor: a std::vector<std::function> filled and drained",
    "timer_start_cancel": "time per timer: start (random 1-11 s delays), cancel, one iteration, free; "
    "libuv: uv_timer_start + uv_timer_stop on uv_timer_t initialised outside the timing",
    "timer_fire": "time per timer: start already-due timers, run until all fired; libuv: timeout 0 and uv_run",
    "timer_million": "libuv's million-timers pattern (benchmark-million-timers.c): 10^6 timers whose timeout grows "
    "by 1 ms every 1000 timers (deadlines spread over about 1 s), started with call_later, then the loop runs until "
    "all fired; one pass per round, no warm-up; time per timer (CPU time by default: the waiting between deadlines "
    "costs none; the wall time is about the 1 s span); libuv: uv_timer_init + uv_timer_start inside the pass, as in "
    "its own benchmark",
    "cross_thread_wake": "time per round trip between two loops on two threads: a callback on one posts to the "
    "other with call_soon_threadsafe, whose callback posts back; each hop wakes a loop blocked in its selector; CPU "
    "time of the whole process (both threads); floor: two threads blocked in read(2) on their own eventfd, each "
    "writing the other's; floor:epoll: the eventfd in an epoll set (epoll_wait, then read); libuv: two uv loops "
    "and uv_async_send; asio: asio::post between two io_contexts (an idle io_context waits on a condition "
    "variable, not its reactor, when it has no I/O objects); on this VM a wake-up crosses CPUs, so the figures "
    "move with the other core's load",
    "bulk_transfer": "time per MiB streamed over one TCP loopback connection (64 MiB per round, TCP_NODELAY): a "
    "sender task doing sock_sendall of 64 KiB chunks and a receiver task doing sock_recv_into a 64 KiB buffer, "
    "one loop (io_uring runs both natively); floor:epoll: both ends non-blocking in one epoll set, send until "
    "EAGAIN, recv until EAGAIN, one epoll_wait per turn",
    "accept_churn": "time per cycle over loopback: a connector task (socket, sock_connect, waits for the accept, "
    "closes with SO_LINGER 0 so no TIME_WAIT piles up) and an acceptor task already waiting in sock_accept when "
    "the connection arrives (io_uring accepts natively), which closes the accepted socket; floor:epoll: the "
    "listener registered once, a non-blocking connect, the socket added for EPOLLOUT, epoll_wait until both are "
    "ready, accept4, SO_ERROR, close both; floor:io_uring: accept and connect submitted together with liburing, "
    "one wait for both completions",
    "task_spawn": "time per task: create_task of a trivial coroutine, run until all finished (10^6 at once); "
    "floor: raw coroutines resumed from a deque; asio: co_spawn(detached) + run(); python_asyncio: "
    "loop.create_task (10^5 at once), measured inside the script",
    "future_pingpong": "time per round trip between two tasks, each completing a future the other awaits; "
    "asio: a parked completion handler posted by the other coroutine; python_asyncio: the same with "
    "asyncio futures",
    "await_ready_future": "time per co_await of an already-done future inside one task; floor: an awaitable "
    "that is always ready; asio: co_await post(use_awaitable); python_asyncio: await of a done future",
    "idle_task_memory": "resident bytes per task (RSS growth from /proc/self/statm in a fresh child process) "
    "for 10^6 tasks parked in a 1 h sleep; asio: co_spawn + steady_timer::async_wait; python_asyncio: "
    "10^5 tasks in asyncio.sleep(3600); measured once",
    "fiber_switch": "time per switch: two fibers each calling this_fiber::yield(), so every yield suspends to the "
    "loop and the loop resumes the other fiber; coro: two coroutine tasks doing co_await sleep(0s); floor: the "
    "thread resuming two raw boost::context::fiber in turn, each jumping straight back (one resume pair, the "
    "two jumps of a corolla switch); boost_fiber: two fibers calling boost::this_fiber::yield(), main in join()",
    "fiber_spawn": "time per fiber: 10^5 spawn_fiber of a trivial function with pooled stacks, run until all "
    "finished; coro: create_task of a trivial coroutine; floor: a raw boost::context::fiber created on one "
    "reused stack and run to its end; boost_fiber: boost::fibers::fiber + join() one at a time (default stack)",
    "idle_fiber_memory": "resident bytes per fiber (RSS growth in a fresh child process) for 10^5 fibers parked "
    "in sleep(1h) on the loop's default 128 KiB stacks; coro: coroutine tasks parked the same way; floor: raw "
    "boost::context fibers on their own 128 KiB mappings parked in a timer heap; boost_fiber: "
    "this_fiber::sleep_for(1h) on its default 128 KiB malloc'd stacks; measured once",
    "idle_fiber_memory_small": "as idle_fiber_memory, with 16 KiB stacks (the smallest the fiber adapter hands "
    "out; an idle fiber touches about 2.3 KiB, a cancellation unwinding about 4 KiB); floor: raw fibers on "
    "16 KiB mappings",
    "idle_fiber_memory_1m": "as idle_fiber_memory_small with 10^6 fibers on 16 KiB stacks (16 GiB of address "
    "space, some 4.5 GB resident, tens of seconds per child): one backend (epoll; the loop keeps one timer per "
    "fiber whatever its selector) and the floor (raw fibers on 16 KiB mappings); measured once. Release builds "
    "map stacks without guard pages, so adjacent stacks merge into few mappings; a build with guard pages needs "
    "vm.max_map_count above 2 x 10^6",
    "lock_uncontended": "time per acquire+release of a free lock in one task (co_await mu.acquire(); "
    "mu.release()); fiber: the same lock through corolla::await; boost_fiber: boost::fibers::mutex "
    "lock()+unlock() in a fiber; python_asyncio: asyncio.Lock acquire()+release() in a task",
    "lock_handoff": "time per hand-off: two tasks each acquire()+release() in a loop after the lock was held "
    "until both wait, so the FIFO lock passes from one to the other on every release; floor: corolla's "
    "future ping-pong per hop (a round trip is two hops), same backend and style; boost_fiber: its mutex "
    "does not hand over, so each fiber holds it across a yield() and yields after unlock() (three switches "
    "per hand-off); python_asyncio: asyncio.Lock, which is fair, the same loop",
    "event_set_resume": "time per set -> waiter resumes: two tasks ping-pong through two events (wait, clear, "
    "set the other's); floor: the future ping-pong per hop; boost_fiber: a flag under a fibers::mutex with a "
    "condition_variable (Boost.Fiber has no event); python_asyncio: asyncio.Event",
    "queue_throughput_1": "time per item: a producer task putting n ints into a queue of maxsize 1, a consumer "
    "task getting them (each item wakes both); asio: experimental::channel<void(error_code, int)> of size 1, "
    "co_spawn + use_awaitable; asio_callbacks: the same channel with completion handlers; boost_fiber: buffered_channel<int>(2), which holds 1; python_asyncio: "
    "asyncio.Queue(1)",
    "queue_throughput_1024": "as queue_throughput_1 with maxsize 1024 (the tasks switch about once per 1024 "
    "items); asio: channel of size 1024; boost_fiber: buffered_channel<int>(1024), which holds 1023; "
    "python_asyncio: asyncio.Queue(1024)",
}


def crawlers_note(n: int, memory: bool) -> str:
    if memory:
        return (f"resident bytes per crawler while all {n} wait (RSS growth in the same child run as crawlers_{n}, "
                "first round only): corolla: a coroutine task and its timer; fiber: a fiber on the loop's default "
                "128 KiB stack (about one touched page resident); threads: the touched part of each default 8 MiB "
                "stack, the kernel's own per-thread memory (kernel stack, task struct: some 10-20 KiB) not "
                "included since RSS does not count it; python_asyncio: a Task, its coroutine and its timer handle; at "
                "small N the growth is a few pages, so the figure is mostly page granularity: read it at 10^5")
    return (f"the seeds' comparison: {n} crawlers that each wait 0.2 s and finish, in a fresh child process per run; "
            "figure per crawler: CPU time of the whole process (default --metric cpu), or with --metric real the "
            "wall time beyond the 0.2 s wait, from the first spawn until the last crawler finished (spawning, the "
            "timers' lateness, finishing); wall time is about 0.2 s for everyone at small N, so the difference is "
            "all overhead; corolla: create_task of a coroutine doing co_await sleep(0.2 s); fiber: spawn_fiber "
            "calling this_fiber::sleep(0.2 s) on the default 128 KiB stack (each needs a fresh stack mapping); "
            "threads: one std::thread each, sleep_for(0.2 s), all joined (not run where the kernel's limits "
            "(pid_max, threads-max, max_map_count, RLIMIT_NPROC) leave no room for N threads: the table's notes "
            "say which); python_asyncio: create_task of asyncio.sleep(0.2) on a fresh loop; one pass per round")


for _n in CRAWLER_SIZES:
    SCENARIO_NOTES[f"{CRAWLERS}_{_n}"] = crawlers_note(_n, False)
    SCENARIO_NOTES[f"{CRAWLERS}_{_n}_memory"] = crawlers_note(_n, True)


def note_of(scenario: str) -> str:
    if scenario in SCENARIO_NOTES:
        return SCENARIO_NOTES[scenario]
    c = crawlers_count(scenario)
    return crawlers_note(*c) if c is not None else ""


for _c in ECHO_CONNECTIONS:
    for _s in ECHO_SIZES:
        SCENARIO_NOTES[echo_scenario_name(_c, _s)] = (
            f"time per request (1 / throughput, wall clock): {_c} connection(s) of corolla_load each sending "
            f"{_s} B and waiting for the echo; one server thread; floor:epoll is a hand-written edge-triggered "
            "epoll server, the peers their libraries' echo servers")


def variant_kind(variant: str) -> str:
    if variant.startswith("corolla:"):
        return "corolla"
    if variant.startswith("coro:"):
        return "coro"  # corolla's coroutine style beside its fibers: a reference, not a peer
    if variant.startswith("fiber:"):
        return "fiber"  # corolla's fibers beside its coroutine tasks (sync, queue, tcp_echo)
    if variant == "floor" or variant.startswith("floor:"):
        return "floor"
    return "peer"


def scenario_rank(scenario: str) -> tuple:
    """Known scenarios in their documented order, then any others alphabetically."""
    known = list(SCENARIO_NOTES)
    return (known.index(scenario), "") if scenario in known else (len(known), scenario)


def scenario_order(stats: dict) -> list:
    return sorted({st.scenario for st in stats.values()}, key=scenario_rank)


def variant_order(variants: list) -> list:
    rank = {"corolla": 0, "coro": 1, "fiber": 1, "floor": 2, "peer": 3}
    # floor:fiber:<backend> after the coroutine floors, as fiber:<backend> after corolla:<backend>.
    return sorted(variants, key=lambda v: (rank[v.kind], v.variant.startswith("floor:fiber:"), v.variant))
