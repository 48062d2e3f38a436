"""The implementation of tools/compare, corolla's cross-backend performance comparison. Run it
through tools/compare, the shell entry that first runs tools/setup --perf (this needs Python,
which a fresh machine lacks).
Builds the `release` CMake preset, runs every perf/ benchmark binary in interleaved rounds,
prints a table of ratios (each backend vs the hand-written floor of its mechanism and vs the
best peer: libuv, Boost.Asio, Boost.Fiber, Python asyncio) and writes results.json, chart.svg
and report.html. The tcp_echo scenario (compare_echo.py) measures echo servers, corolla's
and the peers', over loopback with corolla_load. Stdlib only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
TOOLS_DIR = Path(__file__).resolve().parent
ROOT = TOOLS_DIR.parent
sys.path.insert(0, str(TOOLS_DIR))

import compare_echo as echo  # noqa: E402
import compare_report as report  # noqa: E402  (needs the path above)
import compare_scenarios as scenarios  # noqa: E402
import compare_verdicts as verdicts  # noqa: E402

# mode -> (rounds, --benchmark_min_time seconds per benchmark and round)
MODES = {
    "smoke": (1, 0.001),
    "quick": (2, 0.02),
    "full": (15, 0.5),
}
# Quick mode keeps every scenario but runs the single-pass, seconds-long ones in fewer rounds
# (scenario -> rounds), and leaves out these benchmarks unless their scenario is named in
# --scenarios (--rounds lifts the caps).
QUICK_ROUND_CAPS = {"crawlers_100000": 1, "timer_million": 1}
QUICK_SKIPPED_SCENARIOS = {"idle_fiber_memory_1m"}
DEFAULT_BUILD_DIR = ROOT / "build" / "release"
PERF_README = ROOT / "perf" / "README.md"
OPTIMISED_BUILD_TYPES = {"Release", "RelWithDebInfo", "MinSizeRel"}
EXIT_FAILURE = 1
EXIT_TARGETS_MISSED = 3

EPILOG = """\
how it measures:
  Each binary is run once per round with every selected benchmark in random order
  (--benchmark_enable_random_interleaving), so the rounds interleave the contenders and a
  change in machine load hits them alike. The figure per benchmark is the median over the
  rounds of the time per item (CPU time by default: on a shared machine it does not count
  time the benchmark spent preempted). Ratios are corolla / reference: below 1 means
  corolla is faster. A '~' marks a difference within the noise (the min..max ranges over
  the rounds overlap). Benchmarks are named <scenario>/<variant> with variants
  corolla:<backend>, floor:<mechanism> (or floor) and peers (libuv, asio, asio_callbacks,
  python_asyncio, boost_fiber); the fiber scenarios also show coro:<backend>, corolla's
  coroutine tasks doing the same, for reference (never a peer, never judged). The sync and
  queue scenarios (corolla_bench_sync) run coroutine tasks as corolla:<backend> and fibers as
  fiber:<backend>, both judged against the targets, with floor:<backend> and
  floor:fiber:<backend> (corolla's future ping-pong per hop) where a target names the floor.
  The Python asyncio peer runs as a script that times its rounds itself (not interpreter
  start-up) and reports its own CPU time. idle_task_memory, idle_fiber_memory[_small|_1m] and
  crawlers_<N>_memory are counters, resident bytes per task, fiber or crawler measured in a
  fresh child process, so they run in the first round only.

scenarios (perf/, one binary each area):
  corolla_bench_loop      loop_tick, call_soon, timer_start_cancel, timer_fire (10^6 each),
                          timer_million (libuv's million-timers pattern: timeouts growing 1 ms
                          per 1000 timers, run until all fired; one pass, libuv beside it)
  corolla_bench_wake      cross_thread_wake: two loops on two threads ping-ponging through
                          call_soon_threadsafe; floors over eventfds, libuv uv_async_send,
                          Asio post; CPU time of the whole process
  corolla_bench_tasks     task_spawn, future_pingpong, await_ready_future, idle_task_memory (10^6)
  corolla_bench_fibers    fiber_switch, fiber_spawn, idle_fiber_memory[_small] (10^5),
                          idle_fiber_memory_1m (10^6 fibers on 16 KiB stacks, one backend)
  corolla_bench_sync      lock_uncontended, lock_handoff, event_set_resume, queue_throughput_*
  corolla_bench_net       socketpair_pingpong, bulk_transfer (64 MiB over TCP loopback, time
                          per MiB), accept_churn (connect + accept + close; raw epoll and raw
                          liburing floors)
  corolla_bench_crawlers  crawlers_100 and crawlers_100000: N crawlers waiting 0.2 s each as
                          coroutine tasks, fibers, threads and asyncio tasks, one child process
                          per run; time per crawler (CPU, or with --metric real the wall time
                          beyond the 0.2 s) and crawlers_<N>_memory; threads are left out, with
                          a note, where the kernel's limits do not allow N of them

tcp_echo (TCP echo servers, one thread each, over loopback):
  Scenarios tcp_echo_<connections>x<bytes>; --scenarios tcp_echo selects the mode's set. Per
  configuration and round every server is started with --port 0, tools/compare waits for its
  "listening on <port>" line, runs corolla_load (build/.../tools/corolla_load: N connections,
  each sending a message and waiting for its echo) against it and stops it with SIGTERM; the
  order is shuffled every round. The figure is wall-clock time per request (1 / throughput)
  whatever --metric says. Servers: corolla_echo_server when the build has it (every backend
  from --list-backends, as corolla:<backend> in coroutine style and fiber:<backend> in fiber
  style), floor:epoll (perf/peers/echo_floor_epoll.cpp, the floor for every backend), libuv,
  libevent (bufferevent), asio_callbacks and asio (Boost.Asio awaitable) from perf/peers/, and
  python_asyncio and uvloop (perf/peers/echo_asyncio.py, a Protocol server). Targets: >= 0.95x
  the floor's throughput, >= 1.15x the best peer's at >= 300 connections. After the timed
  rounds each server runs once more under strace -c -f (50 connections x 128 B) for the system
  calls per request, with p50/p90/p99/p99.9/max latency reported beside it, and the server's
  own CPU time per request (from /proc), which the client's share does not dilute.
  Placement (--echo-cpus): by default server and client are pinned to the same CPU, so a
  request costs the client's work plus the server's and no cross-CPU wake-up (on a VM that
  wake-up alone can cost several times a request; unpinned, a 1-connection run swings between
  the two); the client's share is the same for every server, so it narrows the ratios. 'split'
  pins them to two CPUs (for an otherwise idle machine), 'none' leaves it to the scheduler.
    quick  1x128 and 300x128, 2 rounds of 0.25 s (after 0.05 s warm-up)
    full   {1,50,300,1000} x {128,1024}, 5 rounds of 1 s (after 0.3 s warm-up)
    smoke  50x128, one round of 0.2 s, no strace
  --rounds, --echo-configs, --echo-duration and --no-syscalls override these.
  By hand: start a server (e.g. build/release/perf/corolla_peer_echo_floor_epoll --port 0),
  then build/release/tools/corolla_load --port <port> --connections 300 --size 128 --duration 5

modes:
  --quick   2 rounds, min time 0.02 s per benchmark and round (default); crawlers_100000 and
            timer_million (seconds-long single passes) in the first round only, and
            idle_fiber_memory_1m (10^6 fibers: about 4.5 GB resident and 20 s a run) only
            when named in --scenarios; about 3 minutes on a 2-core machine
  --full    15 rounds, min time 0.5 s, everything
  --smoke   1 round, tiny workloads (COROLLA_BENCH_SMOKE=1): checks the tool works, not speed

outputs (in --out, default build/compare, build/compare-smoke for --smoke):
  results.json  every raw Google Benchmark entry (and tcp_echo run, with its latency
                percentiles), per-benchmark statistics, ratios, targets, syscalls per request
  table.txt     the table printed on stdout
  chart.svg     horizontal bars of the ratios on a log scale
  report.html   self-contained report (table, targets and the chart inline)
  with --write-perf-readme, also the results section of perf/README.md (between its
  <!-- results:begin --> and <!-- results:end --> markers), with the date, commit, machine
  and command of the run; python3 tools/compare_report.py --perf-readme results.json
  does the same from a saved run

exit status: 0 done; 1 a build step, a benchmark or the tool failed; 2 bad arguments;
3 a target was missed and --check-targets was given.

examples:
  tools/compare                                  build the release preset, quick comparison
  tools/compare --full --out /tmp/cmp
  tools/compare --no-build --build-dir build/perf-dev --scenarios loop_tick --backends epoll
  tools/compare --no-build --build-dir build/release \
    --scenarios lock_uncontended,lock_handoff,event_set_resume,queue_throughput_1,queue_throughput_1024
  tools/compare --no-build --build-dir build/release --scenarios tcp_echo
  tools/compare --no-build --scenarios tcp_echo --echo-configs 1000x1024,300x128 --echo-duration 2
"""


class failure(Exception):
    """A step failed; the message says which and what to do."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="tools/compare",
        description="Build corolla's release preset, run the perf/ benchmarks of every compiled backend beside "
        "the hand-written floors and the peers (libuv, Boost.Asio, Boost.Fiber, Python asyncio), and report ratios.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # tools/compare (the shell entry) spots --no-build, --list and --help by their full names
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick", help="few rounds (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full", help="more rounds, longer runs")
    mode.add_argument("--smoke", dest="mode", action="store_const", const="smoke",
                      help="one round of tiny workloads, to check the tool itself (CTest)")
    p.set_defaults(mode="quick")
    p.add_argument("--scenarios", metavar="A,B", help="only these scenarios (e.g. loop_tick,timer_start_cancel)")
    p.add_argument("--backends", metavar="X,Y", help="only these corolla backends and their floors (peers always run)")
    p.add_argument("--out", metavar="DIR", type=Path, help="output folder (default build/compare)")
    p.add_argument("--build-dir", metavar="DIR", type=Path,
                   help="build tree holding perf/corolla_bench_* (default build/release); without --no-build it "
                   "is configured from the release preset")
    p.add_argument("--no-build", action="store_true",
                   help="skip tools/setup and the CMake build; use existing binaries")
    p.add_argument("--jobs", "-j", metavar="N", type=int, help="parallel build jobs")
    p.add_argument("--rounds", metavar="N", type=int, help="override the mode's number of rounds")
    p.add_argument("--min-time", metavar="SECONDS", type=float, help="override the mode's minimum time per run")
    p.add_argument("--metric", choices=("cpu", "real"), default="cpu", help="time to compare (default cpu)")
    p.add_argument("--check-targets", action="store_true", help="exit 3 when an issue target is missed")
    p.add_argument("--list", action="store_true", help="list the selected benchmarks and exit")
    p.add_argument("--write-perf-readme", action="store_true",
                   help="after the run, regenerate the results section of perf/README.md from results.json "
                   "(not with --smoke)")
    p.add_argument("--echo-configs", metavar="CxB,...",
                   help="tcp_echo configurations instead of the mode's, connections x message bytes (e.g. 1000x1024)")
    p.add_argument("--echo-duration", metavar="SECONDS", type=float,
                   help="measured seconds per tcp_echo run (default: the mode's)")
    p.add_argument("--no-syscalls", action="store_true", help="skip the tcp_echo strace pass")
    p.add_argument("--echo-cpus", choices=("same", "split", "none"), default="same",
                   help="tcp_echo CPU placement of server and corolla_load: one CPU (default), two, or unpinned")
    args = p.parse_args(argv)
    if args.echo_duration is not None and args.echo_duration <= 0:
        p.error("--echo-duration must be positive")
    if args.rounds is not None and args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.min_time is not None and args.min_time <= 0:
        p.error("--min-time must be positive")
    if args.jobs is not None and args.jobs < 1:
        p.error("--jobs must be at least 1")
    return args


def csv_set(text: str | None) -> set:
    return {x.strip() for x in text.split(",") if x.strip()} if text else set()


def run_step(cmd: list, what: str) -> None:
    log("+ " + shlex.join(str(c) for c in cmd))
    try:
        rc = subprocess.run([str(c) for c in cmd], cwd=ROOT, stdout=sys.stderr).returncode
    except OSError as e:
        raise failure(f"{what}: cannot run {cmd[0]}: {e}") from e
    if rc != 0:
        raise failure(f"{what} failed (exit status {rc}): {shlex.join(str(c) for c in cmd)}")


def build(args: argparse.Namespace) -> Path:
    if not (ROOT / "CMakePresets.json").is_file():
        raise failure(f"{ROOT / 'CMakePresets.json'} not found, so there is no 'release' preset to build; "
                      "configure a build with -DCOROLLA_BUILD_PERF=ON yourself and pass --no-build --build-dir DIR")
    cmake = shutil.which("cmake")
    if not cmake:
        raise failure("cmake not found on PATH (run tools/setup, or pass --no-build --build-dir DIR)")
    configure = [cmake, "--preset", "release"]
    build_cmd = [cmake, "--build", "--preset", "release"]
    build_dir = DEFAULT_BUILD_DIR
    if args.build_dir:
        build_dir = args.build_dir.resolve()
        configure += ["-B", build_dir]
        build_cmd = [cmake, "--build", build_dir]
    if args.jobs:
        build_cmd += ["-j", str(args.jobs)]
    run_step(configure, "configuring the release preset")
    run_step(build_cmd, "building the release preset")
    return build_dir


def find_binaries(build_dir: Path) -> list:
    perf = build_dir / "perf"
    if not perf.is_dir():
        raise failure(f"{perf} does not exist: is {build_dir} a corolla build configured with -DCOROLLA_BUILD_PERF=ON?")
    found = sorted(p for p in perf.rglob("corolla_bench_*") if p.is_file() and os.access(p, os.X_OK) and not p.suffix)
    if not found:
        raise failure(f"no corolla_bench_* executables under {perf}: build the perf targets first "
                      "(COROLLA_BUILD_PERF=ON needs Google Benchmark: libbenchmark-dev)")
    return found


def bench_env(mode: str) -> dict:
    env = dict(os.environ)
    env.pop("COROLLA_BENCH_SMOKE", None)
    if mode == "smoke":
        env["COROLLA_BENCH_SMOKE"] = "1"
    # stdbuf line-buffers the output by preloading a library, which puts it ahead of the ASan
    # runtime of a sanitized build (the dev preset); ASan refuses to start unless told not to check.
    asan = env.get("ASAN_OPTIONS", "")
    if "verify_asan_link_order" not in asan:
        env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    return env


def list_benchmarks(binary: Path, env: dict) -> list:
    try:
        r = subprocess.run([str(binary), "--benchmark_list_tests=true"], env=env, capture_output=True, text=True,
                           timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise failure(f"cannot list the benchmarks of {binary}: {e}") from e
    if r.returncode != 0:
        raise failure(f"{binary} --benchmark_list_tests failed (exit status {r.returncode}): {r.stderr.strip()}")
    return [line.strip() for line in r.stdout.splitlines() if line.strip()]


def select_benchmarks(names_by_binary: dict, scenarios: set, backends: set) -> dict:
    all_names = [n for names in names_by_binary.values() for n in names]
    known_scenarios = {verdicts.split_name(n)[0] for n in all_names}
    known_backends = {verdicts.split_name(n)[1].split(":", 1)[1] for n in all_names
                      if verdicts.split_name(n)[1].startswith("corolla:")}
    if scenarios - known_scenarios:
        raise failure(f"unknown scenario(s) {', '.join(sorted(scenarios - known_scenarios))}; "
                      f"available: {', '.join(sorted(known_scenarios))}")
    if backends - known_backends:
        raise failure(f"backend(s) {', '.join(sorted(backends - known_backends))} not compiled into the benchmarks; "
                      f"available: {', '.join(sorted(known_backends))}")
    chosen = {}
    for binary, names in names_by_binary.items():
        keep = []
        for n in names:
            scenario, variant = verdicts.split_name(n)
            if scenarios and scenario not in scenarios:
                continue
            if backends and ":" in variant and variant.split(":", 1)[1] not in backends:
                continue
            keep.append(n)
        if keep:
            chosen[binary] = keep
    if not chosen:
        raise failure("the selection matches no benchmark")
    return chosen


def exact_filter(names: list) -> str:
    def escape(s: str) -> str:
        return "".join("\\" + c if c in "\\.^$|?*+()[]{}" else c for c in s)

    return "^(" + "|".join(escape(n) for n in names) + ")$"


def run_round(binary: Path, names: list, min_time: float, env: dict, json_out: Path, progress) -> dict:
    cmd = [str(binary), f"--benchmark_filter={exact_filter(names)}", "--benchmark_repetitions=1",
           f"--benchmark_min_time={min_time:g}", "--benchmark_enable_random_interleaving=true",
           f"--benchmark_out={json_out}", "--benchmark_out_format=json", "--benchmark_format=console",
           "--benchmark_color=false", "--benchmark_counters_tabular=false"]
    stdbuf = shutil.which("stdbuf")  # the console reporter writes through stdio; line-buffer it for live progress
    if stdbuf:
        cmd = [stdbuf, "-oL"] + cmd
    wanted = set(names)
    with tempfile.TemporaryFile(mode="w+") as err:
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        except OSError as e:
            raise failure(f"cannot run {binary}: {e}") from e
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                fields = line.split()
                if fields and fields[0] in wanted:
                    progress(line.rstrip())
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        err.seek(0)
        stderr = err.read().strip()
    if rc != 0:
        tail = "\n".join(stderr.splitlines()[-15:])
        status = f"killed by signal {-rc}" if rc < 0 else f"exit status {rc}"
        raise failure(f"{binary.name} failed ({status})\ncommand: {shlex.join(cmd)}\n{tail}")
    try:
        with open(json_out, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise failure(f"{binary.name} wrote no readable JSON to {json_out}: {e}") from e


def without_nan(value):
    """JSON has no NaN: statistics of a benchmark without samples become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nan(v) for v in value]
    return value


def describe_host(context: dict) -> str:
    if not context:  # tcp_echo only: no Google Benchmark context
        context = {"num_cpus": os.cpu_count(), "load_avg": list(os.getloadavg())}
    load = context.get("load_avg") or []
    text = f"{context.get('num_cpus', '?')} x {context.get('mhz_per_cpu', '?')} MHz"
    if load:
        text += ", load " + " ".join(f"{x:.2f}" for x in load)
    return text


def describe_machine() -> str:
    """Kernel, architecture and CPU model, for the header of perf/README.md's results."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    uname = os.uname()
    text = f"{uname.sysname} {uname.release} {uname.machine}"
    return f"{text}, {cpu}, {os.cpu_count()} CPUs" if cpu else f"{text}, {os.cpu_count()} CPUs"


def describe_commit() -> str:
    """The commit measured, with "+ local changes" when the tree differs from it."""
    def git(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True, check=False)

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        if head.returncode != 0:
            return ""
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except OSError:
        return ""
    return head.stdout.strip() + (" + local changes" if dirty else "")


def cached_build_type(build_dir: Path) -> str:
    try:
        for line in (build_dir / "CMakeCache.txt").read_text(errors="replace").splitlines():
            if line.startswith("CMAKE_BUILD_TYPE:"):
                return line.split("=", 1)[1] or "unknown"
    except OSError:
        pass
    return "unknown"


def main(argv: list) -> int:
    args = parse_args(argv)
    if args.write_perf_readme and args.mode == "smoke":
        raise failure("--write-perf-readme wants measured figures; a --smoke run only shows that everything runs")
    rounds, min_time = MODES[args.mode]
    rounds = args.rounds or rounds
    min_time = args.min_time or min_time
    out_dir = (args.out or ROOT / "build" / ("compare-smoke" if args.mode == "smoke" else "compare")).resolve()

    build_dir = (args.build_dir or DEFAULT_BUILD_DIR).resolve()
    if not args.no_build and not args.list:
        build_dir = build(args)
    wanted = csv_set(args.scenarios)
    bench_scenarios = {s for s in wanted if not echo.is_echo_scenario(s)}
    try:
        echo_plan = echo.make_plan(args, build_dir, wanted)
    except echo.echo_error as e:
        raise failure(str(e)) from e
    env = bench_env(args.mode)
    chosen = {}
    if not wanted or bench_scenarios:
        binaries = find_binaries(build_dir)
        names = {b: list_benchmarks(b, env) for b in binaries}
        chosen = select_benchmarks(names, bench_scenarios, csv_set(args.backends))
    if args.list:
        for binary, selected in chosen.items():
            print(f"{binary}:")
            for n in selected:
                print(f"  {n}")
        if echo_plan:
            print(f"{echo_plan.load_client} (tcp_echo):")
            for n in echo.listing(echo_plan):
                print(f"  {n}")
            for note in echo_plan.notes:
                print(f"  note: {note}")
        return 0

    def for_round(names: list, r: int) -> list:
        # A counter scenario is a deterministic count: measuring it again adds time, not information.
        out = []
        for n in names:
            scenario = verdicts.split_name(n)[0]
            if r > 0 and scenarios.is_counter_scenario(scenario):
                continue
            if args.mode == "quick" and not args.rounds and r >= QUICK_ROUND_CAPS.get(scenario, rounds):
                continue
            if args.mode == "quick" and scenario in QUICK_SKIPPED_SCENARIOS and scenario not in wanted:
                continue
            out.append(n)
        return out

    total = sum(len(for_round(v, r)) for r in range(rounds) for v in chosen.values())
    if chosen:
        log(f"compare: {args.mode} mode, {rounds} round(s), min time {min_time:g} s, {total} runs from "
            f"{len(chosen)} binary(ies) in {build_dir}")
    started = time.monotonic()
    done = 0

    def progress(line: str) -> None:
        nonlocal done
        done += 1
        log(f"[{done}/{total} {time.monotonic() - started:5.0f}s] {line}")

    raw_runs = []
    contexts = {}
    with tempfile.TemporaryDirectory(prefix="corolla-compare-") as tmp:
        for r in range(rounds):
            for binary, selected in chosen.items():
                selected = for_round(selected, r)
                if not selected:
                    continue
                data = run_round(binary, selected, min_time, env, Path(tmp) / f"{binary.name}-{r}.json", progress)
                contexts.setdefault(binary.name, data.get("context", {}))
                for entry in data.get("benchmarks", []):
                    entry["round"] = r
                    entry["binary"] = binary.name
                    raw_runs.append(entry)
    if chosen:
        log(f"compare: {done} runs in {time.monotonic() - started:.0f} s")
    echo_syscalls = []
    if echo_plan:
        echo_started = time.monotonic()
        echo_raw, echo_syscalls = echo.run(echo_plan, log)
        raw_runs.extend(echo_raw)
        log(f"compare: tcp_echo took {time.monotonic() - echo_started:.0f} s")

    stats = verdicts.collect(raw_runs, args.metric)
    comparisons = verdicts.compare(stats)
    targets = verdicts.evaluate_targets(stats, meaningful=args.mode != "smoke")
    first = next(iter(contexts.values()), {})
    build_types = sorted({c.get("corolla_build_type", "unknown") for c in contexts.values()})
    if not build_types:
        build_types = [cached_build_type(build_dir)]
    meta = {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": args.mode,
        "metric": args.metric,
        "repetitions": rounds if chosen or not echo_plan else echo_plan.rounds,
        "min_time": min_time,
        "build_type": ",".join(build_types),
        "build_dir": str(build_dir),
        "host": describe_host(first),
        "machine": describe_machine(),
        "commit": describe_commit(),
        "backends": first.get("corolla_backends", ""),
        "peers": ",".join(sorted({p for c in contexts.values() for p in c.get("corolla_peers", "").split(",") if p}
                                 | {s.variant for s in (echo_plan.servers if echo_plan else []) if s.kind == "peer"})),
        "command": ["tools/compare"] + argv,
    }

    # What a binary chose not to run, and why (e.g. more threads than the kernel allows).
    notes = [n.strip() for c in contexts.values() for n in c.get("corolla_notes", "").split(";") if n.strip()]
    if notes:
        meta["notes"] = notes
    table = report.text_report(stats, comparisons, targets, meta)
    extra = "".join(f"note: {n}\n" for n in notes) + report.echo_text(raw_runs, echo_syscalls)
    if echo_plan and echo_plan.notes:
        extra += "".join(f"tcp_echo note: {n}\n" for n in echo_plan.notes)
    if extra:
        table += "\n" + extra
    svg = report.svg_chart(comparisons, targets)
    results = {
        "meta": meta,
        "contexts": contexts,
        "benchmarks": [s.to_json() for s in stats.values()],
        "comparisons": [vars(c) for c in comparisons],
        "targets": targets,
        "raw": raw_runs,
    }
    if echo_plan:
        results["tcp_echo"] = {
            "configs": [f"{c}x{s}" for c, s in echo_plan.configs],
            "rounds": echo_plan.rounds,
            "duration_s": echo_plan.duration,
            "warmup_s": echo_plan.warmup,
            "load_client": str(echo_plan.load_client),
            "servers": [{"variant": s.variant, "argv": s.argv} for s in echo_plan.servers],
            "notes": echo_plan.notes,
            "syscalls": echo_syscalls,
        }
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        results_text = json.dumps(without_nan(results), indent=1, allow_nan=False, default=str) + "\n"
        page = report.html_report(stats, comparisons, targets, meta, svg, extra)
        (out_dir / "results.json").write_text(results_text, encoding="utf-8")
        (out_dir / "table.txt").write_text(table, encoding="utf-8")
        (out_dir / "chart.svg").write_text(svg, encoding="utf-8")
        (out_dir / "report.html").write_text(page, encoding="utf-8")
    except (OSError, ValueError) as e:
        raise failure(f"cannot write the results to {out_dir}: {e}") from e

    print(table, end="")
    log(f"compare: wrote {out_dir}/results.json, table.txt, chart.svg, report.html")
    if args.write_perf_readme:
        try:
            report.write_perf_readme(json.loads(results_text), PERF_README)
        except report.perf_readme_error as e:
            raise failure(f"cannot update {PERF_README}: {e}") from e
        log(f"compare: updated the results section of {PERF_README}")

    if not set(build_types) <= OPTIMISED_BUILD_TYPES:
        log(f"compare: warning: the benchmarks were built as {', '.join(build_types)}; use the release preset")
    errors = sorted({f"{s.name}: {e}" for s in stats.values() for e in s.errors})
    errors += [f"tcp_echo syscalls of {r['variant']}: {r['error']} (--no-syscalls skips this)"
               for r in echo_syscalls if "error" in r]
    if errors:
        raise failure("benchmarks reported errors:\n  " + "\n  ".join(errors))
    judged = [t for t in targets if t["status"] != "not run" and not t["status"].startswith("not judged")]
    if args.check_targets and any(t["status"] != "met" for t in judged):
        log("compare: an issue target was missed")
        return EXIT_TARGETS_MISSED
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except failure as e:
        log(f"compare: error: {e}")
        sys.exit(EXIT_FAILURE)
    except KeyboardInterrupt:
        log("compare: interrupted")
        sys.exit(130)
