"""Turns Google Benchmark results from corolla's perf binaries into ratios, a text table,
an SVG chart, a self-contained HTML report and the results section of perf/README.md. Used by
tools/compare; run alone (`python3 tools/compare_report.py --perf-readme results.json`) it
regenerates perf/README.md's results from a saved run. Stdlib only.
Benchmarks are named "<scenario>/<variant>": variant "corolla:<backend>", "floor:<mechanism>",
"floor", or a peer ("libuv", "asio", "python_asyncio", "boost_fiber", ...). The fiber scenarios
also carry "coro:<backend>": corolla's coroutine tasks doing the same as its fibers, shown with
their ratios for reference but never a peer and never judged against a target. The sync and queue
scenarios carry "fiber:<backend>": corolla's fibers using the same objects as its coroutine tasks
("corolla:<backend>"), judged like them where a target names the kind; their floor, where they
have one, is "floor:fiber:<backend>". Every ratio is
corolla figure / reference figure, so < 1 is better: time per item, or for the counter scenarios
(COUNTER_SCENARIOS, e.g. idle-task memory) the counter, such as resident bytes per task.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class variant_stats:
    """Every repetition of one benchmark, as time per item in nanoseconds."""

    name: str
    scenario: str
    variant: str
    batch: float
    unit: str = ""  # "" for time per item, else the counter's unit (COUNTER_SCENARIOS)
    samples: list = field(default_factory=list)
    real_samples: list = field(default_factory=list)
    cpu_samples: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        return variant_kind(self.variant)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def low(self) -> float:
        return min(self.samples) if self.samples else math.nan

    @property
    def high(self) -> float:
        return max(self.samples) if self.samples else math.nan

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples) if self.samples else math.nan

    @property
    def cv(self) -> float:
        if len(self.samples) < 2:
            return math.nan
        return statistics.stdev(self.samples) / self.mean

    @property
    def spread(self) -> float:
        """(max - min) / median across repetitions."""
        if len(self.samples) < 2:
            return math.nan
        return (self.high - self.low) / self.median

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "scenario": self.scenario,
            "variant": self.variant,
            "kind": self.kind,
            "batch": self.batch,
            "unit": self.unit or "ns",
            "ns_per_item": self.samples,
            "real_ns_per_item": self.real_samples,
            "cpu_ns_per_item": self.cpu_samples,
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "mean": self.mean,
            "cv": None if math.isnan(self.cv) else self.cv,
            "errors": self.errors,
        }


@dataclass
class comparison:
    scenario: str
    variant: str
    reference: str
    reference_kind: str  # "floor" or "peer"
    ratio: float
    within_noise: bool


def split_name(run_name: str) -> tuple[str, str]:
    scenario, _, variant = run_name.partition("/")
    # Google Benchmark may append "/real_time" or "/min_time:..." to the registered name.
    variant = variant.split("/", 1)[0]
    return scenario, variant


def collect(raw_runs: list, metric: str) -> dict:
    """Groups Google Benchmark "iteration" entries by benchmark; `metric` is cpu or real."""
    out: dict[str, variant_stats] = {}
    for run in raw_runs:
        if run.get("run_type", "iteration") != "iteration":
            continue
        name = run.get("run_name", run["name"])
        scenario, variant = split_name(name)
        batch = float(run.get("batch", 1.0)) or 1.0
        counter, unit = counter_of(scenario)
        st = out.setdefault(name, variant_stats(name, scenario, variant, batch, unit))
        if run.get("error_occurred"):
            st.errors.append(run.get("error_message", "error"))
            continue
        scale = TIME_UNITS_NS.get(run.get("time_unit", "ns"), 1.0) / batch
        real = run["real_time"] * scale
        cpu = run[CHILD_CPU_COUNTER] * 1e9 / batch if CHILD_CPU_COUNTER in run else run["cpu_time"] * scale
        st.real_samples.append(real)
        st.cpu_samples.append(cpu)
        if counter:
            if counter not in run:
                st.errors.append(f"no {counter} counter")
                continue
            st.samples.append(float(run[counter]))
        else:
            st.samples.append(cpu if metric == "cpu" else real)
    return out


def overlap(a: variant_stats, b: variant_stats) -> bool:
    """True when the repetition ranges overlap: the difference is within the noise."""
    return a.low <= b.high and b.low <= a.high


def floor_of(v: variant_stats, variants: dict) -> variant_stats | None:
    """The floor of corolla variant `v`: "floor:fiber:<backend>" for a fiber: variant where there
    is one, else "floor:<backend>", else "floor"; in tcp_echo, the epoll floor for every backend."""
    backend = v.variant.split(":", 1)[1]
    if v.kind == "fiber" and "floor:fiber:" + backend in variants:
        return variants["floor:fiber:" + backend]
    found = variants.get("floor:" + backend) or variants.get("floor")
    if found is None and echo_config(v.scenario) is not None:
        found = variants.get(ECHO_FLOOR)
    return found


def compare(stats: dict) -> list:
    by_scenario: dict[str, dict[str, variant_stats]] = {}
    for st in stats.values():
        if st.samples:
            by_scenario.setdefault(st.scenario, {})[st.variant] = st
    out = []
    for scenario, variants in by_scenario.items():
        peers = [v for v in variants.values() if v.kind == "peer"]
        best_peer = min(peers, key=lambda v: v.median) if peers else None
        for v in variants.values():
            if v.kind not in ("corolla", "coro", "fiber"):
                continue
            floor = floor_of(v, variants)
            for ref, kind in ((floor, "floor"), (best_peer, "peer")):
                if ref is None:
                    continue
                out.append(comparison(scenario, v.variant, ref.variant, kind, v.median / ref.median, overlap(v, ref)))
    out.sort(key=lambda c: (scenario_rank(c.scenario), c.variant, c.reference_kind))
    return out


def evaluate_targets(stats: dict, meaningful: bool = True) -> list:
    """Checks TARGETS against the named reference (not merely the best peer); with
    meaningful=False (smoke sizes) the ratios are listed, not judged."""
    results = []
    for scenario, ref, bound, text, *rest in TARGETS:
        kinds = rest[0] if rest else ("corolla",)
        variants = {s.variant: s for s in stats.values() if s.scenario == scenario and s.samples}
        rows = []
        for v in sorted(variants.values(), key=lambda x: (kinds.index(x.kind) if x.kind in kinds else 0, x.variant)):
            if v.kind not in kinds:
                continue
            if ref == "absolute":
                rows.append({"variant": v.variant, "reference": "", "ratio": v.median, "met": v.median <= bound,
                             "within_noise": False, "unit": v.unit})
                continue
            if ref == "floor":
                other = floor_of(v, variants)
            elif ref == "best_peer":
                peers = [p for p in variants.values() if p.kind == "peer"]
                other = min(peers, key=lambda p: p.median) if peers else None
            else:
                other = variants.get(ref)
            if other is None:
                continue
            ratio = v.median / other.median
            rows.append({"variant": v.variant, "reference": other.variant, "ratio": ratio, "met": ratio <= bound,
                         "within_noise": overlap(v, other), "unit": v.unit})
        have_scenario = any(s.scenario == scenario for s in stats.values())
        if rows and not meaningful:
            status = "not judged (smoke workloads)"
        elif rows:
            status = "met" if all(r["met"] for r in rows) else "not met"
        elif not have_scenario:
            status = "not run"
        elif not any(v.kind in kinds for v in variants.values()):
            status = "n/a (no corolla result)"
        else:
            status = f"n/a (no {ref} result)"
        results.append({"scenario": scenario, "reference": ref, "bound": bound, "text": text, "status": status,
                        "kinds": list(kinds), "rows": rows})
    return results


# --- formatting ---------------------------------------------------------------------------


def fmt_time(ns: float) -> str:
    if math.isnan(ns):
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_value(st: variant_stats, x: float) -> str:
    """A figure of `st` in its unit: a time per item, or a counter value."""
    if not st.unit:
        return fmt_time(x)
    if math.isnan(x):
        return "-"
    return f"{x:.0f} {st.unit}" if abs(x) >= 100 else f"{x:.3g} {st.unit}"


def fmt_rate(ns_per_item: float) -> str:
    if math.isnan(ns_per_item) or ns_per_item <= 0:
        return "-"
    rate = 1e9 / ns_per_item
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if rate >= scale:
            return f"{rate / scale:.3g}{unit}/s"
    return f"{rate:.3g}/s"


def fmt_pct(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{100 * x:.1f}%"


def fmt_ratio(c: comparison | None) -> str:
    if c is None:
        return "-"
    return f"{c.ratio:.2f}x {c.reference}" + (" ~" if c.within_noise else "")


def describe_target_row(row: dict, bound: float, judged: bool = True) -> str:
    r = row["ratio"]
    unit = row.get("unit", "")
    if not row["reference"]:
        shown = f"{r:.4g} {unit} (bound {bound:g})"
    elif bound < 1:
        better, worse = ("smaller", "larger") if unit else ("faster", "slower")
        shown = (f"{1 / r:.2f}x {better} than {row['reference']}" if r <= 1 else
                 f"{r:.2f}x {worse} than {row['reference']}")
    else:
        shown = f"{r:.2f}x {row['reference']}"
    verdict = "met" if row["met"] else "NOT met"
    if not judged:
        verdict = "-"
    elif row["within_noise"]:
        verdict += " (within noise)"
    return f"{shown:<34} {verdict}"


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


def rows_for(stats: dict, comparisons: list, scenario: str) -> list:
    """Table rows of one scenario: dicts of display strings."""
    rows = []
    variants = variant_order([s for s in stats.values() if s.scenario == scenario])
    for v in variants:
        floor_c = next((c for c in comparisons if c.scenario == scenario and c.variant == v.variant
                        and c.reference_kind == "floor"), None)
        peer_c = next((c for c in comparisons if c.scenario == scenario and c.variant == v.variant
                       and c.reference_kind == "peer"), None)
        rows.append({
            "variant": v.variant,
            "median": fmt_value(v, v.median),
            "rate": "-" if v.unit else fmt_rate(v.median),
            "range": f"{fmt_value(v, v.low)} .. {fmt_value(v, v.high)}" if v.samples else "-",
            "spread": fmt_pct(v.spread),
            "cv": fmt_pct(v.cv),
            "n": str(len(v.samples)),
            "vs_floor": fmt_ratio(floor_c),
            "vs_peer": fmt_ratio(peer_c),
            "error": "; ".join(sorted(set(v.errors))),
        })
    return rows


COLUMNS = [
    ("variant", "variant"),
    ("median", "median/item"),
    ("rate", "items/s"),
    ("spread", "spread"),
    ("cv", "cv"),
    ("n", "n"),
    ("vs_floor", "vs floor"),
    ("vs_peer", "vs best peer"),
]


def text_report(stats: dict, comparisons: list, targets: list, meta: dict) -> str:
    lines = [
        f"corolla comparison: {meta['mode']} mode, {meta['metric']} time, {meta['repetitions']} round(s), "
        f"build {meta.get('build_type', '?')}, {meta.get('host', '')}",
        "ratios are corolla / reference (< 1 means corolla is faster, or smaller in memory); '~' marks a difference within the noise "
        "(repetition ranges overlap); spread is (max - min) / median",
    ]
    if meta["mode"] == "smoke":
        lines.append("smoke run: tiny workloads and one round; the figures only show that everything runs")
    for scenario in scenario_order(stats):
        lines.append("")
        lines.append(f"{scenario}: {note_of(scenario)}")
        rows = rows_for(stats, comparisons, scenario)
        widths = {k: max([len(title)] + [len(r[k]) for r in rows]) for k, title in COLUMNS}
        lines.append("  " + "  ".join(title.ljust(widths[k]) for k, title in COLUMNS).rstrip())
        for r in rows:
            line = "  " + "  ".join(r[k].ljust(widths[k]) for k, _ in COLUMNS).rstrip()
            if r["error"]:
                line += f"  ERROR: {r['error']}"
            lines.append(line)
    lines.append("")
    lines.append("issue targets (benchmarks, not tests)")
    for t in targets:
        lines.append(f"  {t['text']}: {t['status']}")
        for row in t["rows"]:
            judged = not t["status"].startswith("not judged")
            lines.append(f"    {row['variant']:<18} {describe_target_row(row, t['bound'], judged)}")
    return "\n".join(lines) + "\n"


def echo_text(raw_runs: list, syscalls: list) -> str:
    """The tcp_echo extras: latency percentiles per configuration and system calls per request."""
    rank = {"corolla": 0, "coro": 1, "fiber": 1, "floor": 2, "peer": 3}
    by_scenario: dict[str, dict[str, list]] = {}
    for run in raw_runs:
        scenario, variant = split_name(run.get("run_name", run.get("name", "")))
        if echo_config(scenario) is None or run.get("error_occurred"):
            continue
        by_scenario.setdefault(scenario, {}).setdefault(variant, []).append(run)
    lines = []
    if by_scenario:
        lines.append("tcp_echo round-trip latency in us as corolla_load saw it (median over rounds of each "
                     "round's percentile); srv cpu/req: the server's CPU time per request in us (all its "
                     "threads, from /proc, warm-up included)")
    cols = [("requests_per_s", "req/s"), ("server_cpu_us", "srv cpu/req"), ("p50_us", "p50"), ("p90_us", "p90"),
            ("p99_us", "p99"), ("p999_us", "p99.9"), ("max_us", "max")]
    for scenario in sorted(by_scenario, key=echo_config):
        variants = by_scenario[scenario]
        names = sorted(variants, key=lambda v: (rank[variant_kind(v)], v))
        rows = []
        for v in names:
            row = [v]
            for key, _ in cols:
                vals = [r[key] for r in variants[v] if r.get(key) is not None]
                x = statistics.median(vals) if vals else math.nan
                row.append("-" if math.isnan(x) else (f"{x:.0f}" if key == "requests_per_s" or x >= 100 else
                                                       f"{x:.2f}" if key == "server_cpu_us" else f"{x:.1f}"))
            rows.append(row)
        titles = ["variant"] + [t for _, t in cols]
        widths = [max(len(titles[i]), *(len(r[i]) for r in rows)) for i in range(len(titles))]
        lines.append(f"  {scenario}")
        lines.append("    " + "  ".join(t.rjust(w) if i else t.ljust(w) for i, (t, w) in enumerate(zip(titles, widths))))
        for r in rows:
            lines.append("    " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
    if syscalls:
        if lines:
            lines.append("")
        first = next((r for r in syscalls if "connections" in r), {})
        lines.append(f"tcp_echo system calls per request, server process (strace -c -f, {first.get('connections', '?')} "
                     f"conn x {first.get('size', '?')} B, an untimed run, connection set-up not counted; strace "
                     "slows every call, so each wait gathers more events than untraced)")
        width = max(len(r["variant"]) for r in syscalls)
        for r in sorted(syscalls, key=lambda r: (rank[variant_kind(r["variant"])], r["variant"])):
            if "error" in r:
                lines.append(f"  {r['variant']:<{width}}  ERROR: {r['error'].splitlines()[0]}")
                continue
            top = ", ".join(f"{k} {n / r['requests']:.2f}" for k, n in list(r["by_call"].items())[:4])
            lines.append(f"  {r['variant']:<{width}}  {r['per_request']:6.2f}   {top}")
    return "\n".join(lines) + "\n" if lines else ""


# --- SVG chart ----------------------------------------------------------------------------

COLOURS = {"floor": "#4c78a8", "peer": "#f58518"}


def svg_chart(comparisons: list, targets: list) -> str:
    """A diverging horizontal bar chart of ratios on a log2 axis centred on 1x."""
    if not comparisons:
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="40">'
                '<text x="10" y="25" font-family="sans-serif" font-size="13">no ratios to chart</text></svg>')
    bar_h, gap, group_gap = 16, 4, 12
    label_w, plot_w, right_w, top, bottom = 330, 460, 70, 56, 50
    span = max(3.0, math.ceil(max(abs(math.log2(c.ratio)) for c in comparisons if c.ratio > 0)))
    span = min(span, 8.0)

    def x_of(ratio: float) -> float:
        v = max(-span, min(span, math.log2(ratio)))
        return label_w + plot_w / 2 + v / span * (plot_w / 2)

    bounds = {(t["scenario"], t["reference"]): t["bound"] for t in targets}
    judged = {(t["scenario"], t["reference"]): tuple(t.get("kinds", ("corolla",))) for t in targets}
    body = []
    y = top
    previous = None
    for c in comparisons:
        if previous is not None and c.scenario != previous:
            y += group_gap
        previous = c.scenario
        x1, x0 = x_of(c.ratio), x_of(1.0)
        colour = COLOURS[c.reference_kind]
        label = f"{c.scenario}  {c.variant} vs {c.reference}"
        body.append(f'<text x="{label_w - 8}" y="{y + bar_h - 4}" text-anchor="end">{html.escape(label)}</text>')
        body.append(
            f'<rect x="{min(x0, x1):.1f}" y="{y}" width="{max(abs(x1 - x0), 1):.1f}" height="{bar_h}" '
            f'fill="{colour}" fill-opacity="{0.45 if c.within_noise else 0.9}"><title>{html.escape(label)}: '
            f'{c.ratio:.3f}x</title></rect>'
        )
        tx = max(x0, x1) + 4 if c.ratio >= 1 else min(x0, x1) - 4
        anchor = "start" if c.ratio >= 1 else "end"
        inside = label_w <= tx <= label_w + plot_w
        if not inside:
            tx, anchor = (label_w + plot_w + 4, "start") if c.ratio >= 1 else (label_w + 4, "start")
        body.append(f'<text x="{tx:.1f}" y="{y + bar_h - 4}" text-anchor="{anchor}">{c.ratio:.2f}x'
                    f'{" ~" if c.within_noise else ""}</text>')
        key = (c.scenario, "floor" if c.reference_kind == "floor" else c.reference)
        if key not in bounds and c.reference_kind == "peer":
            key = (c.scenario, "best_peer")  # compare() sets each variant against the best peer
        if key in bounds and c.variant.split(":", 1)[0] in judged[key]:
            bx = x_of(bounds[key])
            body.append(f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" stroke="#d62728" '
                        f'stroke-width="2" stroke-dasharray="3,2"><title>target {bounds[key]:.2f}x</title></line>')
        y += bar_h + gap
    height = y + bottom
    width = label_w + plot_w + right_w
    axis = []
    for k in range(-int(span), int(span) + 1):
        x = label_w + plot_w / 2 + k / span * (plot_w / 2)
        tick = f"{2 ** k:g}x" if k >= 0 else f"1/{2 ** -k:g}"
        axis.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{y}" stroke="#ccc" '
                    f'stroke-width="{1.5 if k == 0 else 0.5}"/>')
        axis.append(f'<text x="{x:.1f}" y="{y + 16}" text-anchor="middle" fill="#555">{tick}</text>')
    legend = (
        f'<text x="10" y="20" font-weight="bold">corolla / reference, time or memory (log scale; left of 1x = '
        f'corolla better)</text>'
        f'<rect x="10" y="30" width="12" height="12" fill="{COLOURS["floor"]}"/>'
        f'<text x="28" y="40">vs hand-written floor</text>'
        f'<rect x="190" y="30" width="12" height="12" fill="{COLOURS["peer"]}"/>'
        f'<text x="208" y="40">vs best peer</text>'
        f'<line x1="330" x2="330" y1="29" y2="43" stroke="#d62728" stroke-width="2" stroke-dasharray="3,2"/>'
        f'<text x="338" y="40">issue target</text>'
        f'<text x="450" y="40" fill="#555">pale bar: within noise</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{legend}\n' + "\n".join(axis) + "\n" + "\n".join(body)
        + "\n</svg>\n"
    )


# --- HTML report --------------------------------------------------------------------------


def html_report(stats: dict, comparisons: list, targets: list, meta: dict, svg: str, extra_text: str = "") -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>corolla comparison</title>',
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}"
        "th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}"
        ".met{color:#2a7d2a;font-weight:bold}.miss{color:#c0392b;font-weight:bold}"
        ".err{color:#c0392b}p.note{color:#555;font-size:13px}</style></head><body>",
        "<h1>corolla comparison</h1>",
        "<table>",
    ]
    for key in ("created", "mode", "metric", "repetitions", "min_time", "build_type", "build_dir", "host",
                "backends", "peers"):
        if key in meta:
            parts.append(f"<tr><th>{e(key)}</th><td>{e(str(meta[key]))}</td></tr>")
    parts.append("</table>")
    parts.append(
        '<p class="note">Times are per item (per iteration for loop_tick), median over rounds; '
        "the idle_*_memory scenarios show resident bytes per task or fiber instead. Ratios are "
        "corolla / reference, so below 1 means corolla is faster (or smaller). “~” marks a difference within the noise "
        "(the repetition ranges overlap). Spread is (max − min) / median; cv is stdev / mean.</p>"
    )
    if meta["mode"] == "smoke":
        parts.append('<p class="note"><b>Smoke run</b>: tiny workloads and one round; the figures only show that '
                     "everything runs.</p>")
    parts.append("<h2>Issue targets</h2><table><tr><th>target</th><th>variant</th><th>result</th></tr>")
    for t in targets:
        if not t["rows"]:
            parts.append(f"<tr><td>{e(t['text'])}</td><td>-</td><td>{e(t['status'])}</td></tr>")
        judged = not t["status"].startswith("not judged")
        for row in t["rows"]:
            cls = ("met" if row["met"] else "miss") if judged else ""
            parts.append(f"<tr><td>{e(t['text'])}</td><td>{e(row['variant'])}</td>"
                         f'<td class="{cls}">{e(describe_target_row(row, t["bound"], judged))}</td></tr>')
    parts.append("</table>")
    parts.append("<h2>Ratios</h2>")
    parts.append(svg)
    for scenario in scenario_order(stats):
        parts.append(f"<h2>{e(scenario)}</h2><p class=\"note\">{e(note_of(scenario))}</p>")
        parts.append("<table><tr>" + "".join(f"<th>{e(title)}</th>" for _, title in COLUMNS) + "<th>range</th></tr>")
        for r in rows_for(stats, comparisons, scenario):
            cells = "".join(
                f'<td{"" if k == "variant" else " class=num"}>{e(r[k])}</td>' for k, _ in COLUMNS
            )
            err = f'<br><span class="err">{e(r["error"])}</span>' if r["error"] else ""
            parts.append(f"<tr>{cells}<td class=num>{e(r['range'])}{err}</td></tr>")
        parts.append("</table>")
    if extra_text:
        parts.append(f"<h2>tcp_echo latency and system calls</h2><pre>{e(extra_text)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --- perf/README.md -----------------------------------------------------------------------
# The results section of perf/README.md is generated: everything between these two markers is
# rewritten from a results.json by `tools/compare --write-perf-readme` (after its run) or by
# `python3 tools/compare_report.py --perf-readme results.json` (from a saved run); the prose
# around the markers is never touched.

PERF_README_BEGIN = "<!-- results:begin -->"
PERF_README_END = "<!-- results:end -->"


class perf_readme_error(Exception):
    """perf/README.md has no well-formed marked region, or results.json is unusable."""


def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def perf_markdown(results: dict) -> str:
    """The generated region of perf/README.md: where, when and how the run was made, then the
    targets and one table per scenario, recomputed from the raw runs of `results`."""
    meta = results.get("meta") or {}
    raw = results.get("raw")
    if not isinstance(raw, list) or not meta.get("metric"):
        raise perf_readme_error("not a tools/compare results.json (no meta.metric or raw runs)")
    stats = collect(raw, meta["metric"])
    comparisons = compare(stats)
    targets = evaluate_targets(stats, meaningful=meta.get("mode") != "smoke")
    command = meta.get("command") or ["tools/compare"]
    lines = [
        "<!-- Generated from results.json by tools/compare_report.py; edits here are overwritten. -->",
        "",
        f"- **Measured:** {meta.get('created', 'date not recorded')}",
        f"- **Commit:** {meta.get('commit') or 'not recorded'}",
        f"- **Machine:** {meta.get('machine') or meta.get('host') or 'not recorded'}"
        + (f" ({meta['host']})" if meta.get("machine") and meta.get("host") else ""),
        f"- **Command:** `{' '.join(command)}`",
        f"- **Mode:** {meta.get('mode', '?')}, {meta.get('metric')} time, {meta.get('repetitions', '?')} round(s), "
        f"build {meta.get('build_type', '?')}; backends {meta.get('backends') or '?'}; "
        f"peers {meta.get('peers') or 'none'}",
        "",
        "Figures are medians over the rounds, per item (resident bytes for the memory scenarios). "
        "Ratios are corolla / reference, so below 1 means corolla is faster or smaller; `~` marks a "
        "difference within the noise (the rounds' ranges overlap); spread is (max - min) / median.",
    ]
    if meta.get("mode") == "smoke":
        lines += ["", "**Smoke run**: tiny workloads and one round; these figures only show that everything runs."]
    for note in meta.get("notes") or []:
        lines += ["", f"Note: {note}"]
    if any(t["rows"] or t["status"] != "not run" for t in targets):
        lines += ["", "#### Targets", "", "| target | variant | result |", "|---|---|---|"]
        for t in targets:
            judged = not t["status"].startswith("not judged")
            if not t["rows"]:
                if t["status"] != "not run":
                    lines.append(f"| {md_cell(t['text'])} | - | {md_cell(t['status'])} |")
                continue
            for row in t["rows"]:
                result = " ".join(describe_target_row(row, t["bound"], judged).split())
                lines.append(f"| {md_cell(t['text'])} | `{row['variant']}` | {md_cell(result)} |")
    md_columns = [c for c in COLUMNS if c[0] != "cv"]
    for scenario in scenario_order(stats):
        lines += ["", f"#### `{scenario}`", ""]
        if note_of(scenario):
            lines += [md_cell(note_of(scenario)), ""]
        lines.append("| " + " | ".join(title for _, title in md_columns) + " |")
        lines.append("|" + "|".join("---" for _ in md_columns) + "|")
        for r in rows_for(stats, comparisons, scenario):
            cells = [f"`{r['variant']}`"] + [md_cell(r[k]) for k, _ in md_columns[1:]]
            if r["error"]:
                cells[-1] += f" (error: {md_cell(r['error'])})"
            lines.append("| " + " | ".join(cells) + " |")
    extra = echo_text(raw, (results.get("tcp_echo") or {}).get("syscalls") or [])
    if extra:
        lines += ["", "#### `tcp_echo` latency and system calls", "", "```", extra.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def replace_marked_region(text: str, generated: str) -> str:
    """`text` with what lies between PERF_README_BEGIN and PERF_README_END replaced by
    `generated`; everything outside the markers, the markers included, is kept byte for byte."""
    if text.count(PERF_README_BEGIN) != 1 or text.count(PERF_README_END) != 1:
        raise perf_readme_error(f"expected exactly one {PERF_README_BEGIN} and one {PERF_README_END}")
    start = text.index(PERF_README_BEGIN) + len(PERF_README_BEGIN)
    end = text.index(PERF_README_END)
    if end < start:
        raise perf_readme_error(f"{PERF_README_END} comes before {PERF_README_BEGIN}")
    return text[:start] + "\n" + generated + text[end:]


def write_perf_readme(results: dict, readme) -> None:
    """Rewrites the marked region of `readme` (a path) from `results`; raises
    perf_readme_error, leaving the file as it was, when either is unusable."""
    path = Path(readme)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise perf_readme_error(f"cannot read {path}: {e}") from e
    updated = replace_marked_region(text, perf_markdown(results))
    if updated != text:
        path.write_text(updated, encoding="utf-8")


def main(argv: list) -> int:
    p = argparse.ArgumentParser(
        prog="tools/compare_report.py",
        description="Regenerate the results section of perf/README.md (between "
        f"{PERF_README_BEGIN} and {PERF_README_END}) from a results.json written by tools/compare.")
    p.add_argument("--perf-readme", metavar="RESULTS_JSON", type=Path, required=True,
                   help="the results.json of a tools/compare run")
    p.add_argument("--readme", metavar="FILE", type=Path,
                   default=Path(__file__).resolve().parent.parent / "perf" / "README.md",
                   help="the file to update (default perf/README.md)")
    args = p.parse_args(argv)
    try:
        results = json.loads(args.perf_readme.read_text(encoding="utf-8"))
        write_perf_readme(results, args.readme)
    except (OSError, ValueError, KeyError, TypeError, perf_readme_error) as e:
        print(f"compare_report: error: {e}", file=sys.stderr)
        return 1
    print(f"compare_report: updated the results section of {args.readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
