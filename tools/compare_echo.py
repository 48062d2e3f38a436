"""The tcp_echo part of tools/compare: echo servers measured over loopback by corolla_load
(tools/net/load_client.cpp). Each server is its own process; per configuration
(connections x message size) and round every server is started, corolla_load runs against
it and the server is stopped again, in a shuffled order each round. A separate, untimed
pass runs each server under `strace -c -f` to count system calls per request. Results
become entries shaped like Google Benchmark's, so compare_verdicts computes the ratios.
Stdlib only.
"""

from __future__ import annotations

import json
import os
import random
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import compare_scenarios as scenarios

SCENARIO = scenarios.ECHO_SCENARIO
LOAD_CLIENT = "corolla_load"
COROLLA_SERVER = "corolla_echo_server"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
SYSCALL_CONFIG = (50, 128)

# mode -> configurations (connections, size), rounds, measured seconds, warm-up seconds
MODES = {
    "smoke": ([(50, 128)], 1, 0.2, 0.05),
    "quick": ([(1, 128), (300, 128)], 2, 0.25, 0.05),
    "full": ([(c, s) for c in scenarios.ECHO_CONNECTIONS for s in scenarios.ECHO_SIZES], 5, 1.0, 0.3),
}

# The peer and floor programs perf/CMakeLists.txt builds: executable suffix -> variant.
NATIVE_PEERS = {
    "floor_epoll": "floor:epoll",
    "libuv": "libuv",
    "libevent": "libevent",
    "asio_callbacks": "asio_callbacks",
    "asio_awaitable": "asio",
}
PYTHON_SCRIPT = Path(__file__).resolve().parent.parent / "perf" / "peers" / "echo_asyncio.py"


class echo_error(Exception):
    """A server or the load client misbehaved; the message says which and how."""


@dataclass
class server:
    variant: str
    argv: list  # without --port

    @property
    def kind(self) -> str:
        return scenarios.variant_kind(self.variant)


@dataclass
class plan:
    load_client: Path
    servers: list
    configs: list
    rounds: int
    duration: float
    warmup: float
    syscalls: bool
    server_cpus: set | None = None  # CPU affinity of the server and of corolla_load (None: unpinned)
    client_cpus: set | None = None
    notes: list = field(default_factory=list)


def parse_configs(text: str) -> list:
    """"300x128,1x1024" -> [(300, 128), (1, 1024)]."""
    out = []
    for item in (x.strip() for x in text.split(",")):
        m = re.fullmatch(r"(\d+)x(\d+)", item)
        if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
            raise echo_error(f"bad tcp_echo configuration '{item}': want CONNECTIONSxBYTES, e.g. 300x128")
        out.append((int(m.group(1)), int(m.group(2))))
    return out


def selected_configs(mode: str, scenarios: set, override: str | None) -> list:
    """The configurations to run, or [] when the --scenarios selection names no tcp_echo one."""
    if override:
        return parse_configs(override)
    wanted = {s for s in scenarios if s == SCENARIO or s.startswith(SCENARIO + "_")}
    if scenarios and not wanted:
        return []
    if not scenarios or SCENARIO in wanted:
        configs = list(MODES[mode][0])
    else:
        configs = []
    for s in sorted(wanted - {SCENARIO}):
        c = scenarios.echo_config(s)
        if c is None:
            raise echo_error(f"unknown scenario {s}: tcp_echo scenarios are {SCENARIO}_<connections>x<bytes>")
        if c not in configs:
            configs.append(c)
    return configs


def is_echo_scenario(name: str) -> bool:
    return name == SCENARIO or scenarios.echo_config(name) is not None


def find_executable(build_dir: Path, name: str) -> Path | None:
    hits = sorted(p for p in build_dir.rglob(name)
                  if p.is_file() and os.access(p, os.X_OK) and "CMakeFiles" not in p.parts)
    return hits[0] if hits else None


def python_with_uvloop() -> tuple:
    """(interpreter for the asyncio peers, whether it has uvloop). Debian's python3-uvloop
    installs into the system interpreter, which may not be the python3 first on PATH (a
    virtualenv or pyenv), so that one is tried too; both Python peers use the same one."""
    candidates = []
    for c in (sys.executable, shutil.which("python3"), shutil.which("python3", path="/usr/bin:/bin")):
        if c and c not in candidates:
            candidates.append(c)
    for c in candidates:
        try:
            ok = subprocess.run([c, "-c", "import uvloop"], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return c, True
    return sys.executable, False


def discover(build_dir: Path, backends: set, notes: list) -> list:
    servers = []
    corolla = find_executable(build_dir, COROLLA_SERVER)
    if corolla is None:
        notes.append(f"{COROLLA_SERVER} is not in {build_dir}: no corolla rows in tcp_echo")
    else:
        try:
            r = subprocess.run([str(corolla), "--list-backends"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise echo_error(f"{corolla} --list-backends: {e}") from e
        if r.returncode != 0:
            raise echo_error(f"{corolla} --list-backends failed (exit status {r.returncode}): {r.stderr.strip()}")
        names = [line.strip() for line in r.stdout.splitlines() if line.strip()]
        unknown = backends - set(names)
        if unknown:
            notes.append(f"{COROLLA_SERVER} has no backend(s) {', '.join(sorted(unknown))}")
        for b in names:
            if backends and b not in backends:
                continue
            servers.append(server(f"corolla:{b}", [str(corolla), "--backend", b, "--style", "coro"]))
            servers.append(server(f"fiber:{b}", [str(corolla), "--backend", b, "--style", "fiber"]))
    for suffix, variant in NATIVE_PEERS.items():
        exe = find_executable(build_dir, f"corolla_peer_echo_{suffix}")
        if exe is None:
            notes.append(f"corolla_peer_echo_{suffix} is not built: no {variant} row in tcp_echo")
        else:
            servers.append(server(variant, [str(exe)]))
    python, has_uvloop = python_with_uvloop()
    servers.append(server("python_asyncio", [python, str(PYTHON_SCRIPT)]))
    if has_uvloop:
        servers.append(server("uvloop", [python, str(PYTHON_SCRIPT), "--uvloop"]))
    else:
        notes.append("no Python with the uvloop module (python3-uvloop): no uvloop row in tcp_echo")
    return servers


def make_plan(args, build_dir: Path, scenarios: set) -> plan | None:
    configs = selected_configs(args.mode, scenarios, args.echo_configs)
    if not configs:
        return None
    load = find_executable(build_dir, LOAD_CLIENT)
    if load is None:
        message = f"no {LOAD_CLIENT} in {build_dir}: build it (COROLLA_BUILD_TOOLS=ON, the default; Linux)"
        if scenarios or args.echo_configs:
            raise echo_error(message)
        print(f"compare: tcp_echo skipped: {message}", file=sys.stderr, flush=True)
        return None
    notes = []
    _, rounds, duration, warmup = MODES[args.mode]
    servers = discover(build_dir, csv_set(args.backends), notes)
    syscalls = args.mode != "smoke" and not args.no_syscalls
    if syscalls and not shutil.which("strace"):
        notes.append("strace not found (tools/setup --perf installs it): no syscalls per request")
        syscalls = False
    server_cpus, client_cpus = cpu_placement(args.echo_cpus, notes)
    return plan(load, servers, configs, args.rounds or rounds, args.echo_duration or duration, warmup, syscalls,
                server_cpus, client_cpus, notes)


def cpu_placement(policy: str, notes: list) -> tuple:
    """(server CPUs, client CPUs) for --echo-cpus: "same" puts both on one CPU, "split" on two."""
    if policy == "none" or not hasattr(os, "sched_setaffinity"):
        return None, None
    allowed = sorted(os.sched_getaffinity(0))
    if policy == "split":
        if len(allowed) < 2:
            notes.append("--echo-cpus split needs two CPUs; running server and client on one")
            return {allowed[-1]}, {allowed[-1]}
        return {allowed[-2]}, {allowed[-1]}
    return {allowed[-1]}, {allowed[-1]}


def pin(pid: int, cpus: set | None) -> None:
    """Sets the affinity of every thread of process `pid` (threads started later inherit it)."""
    if cpus is None:
        return
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:
            pass


def cpu_ns(pid: int) -> int | None:
    """CPU time the process has used so far, in ns, over all its threads (/proc/<pid>/task/*/schedstat)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total


def csv_set(text: str | None) -> set:
    return {x.strip() for x in text.split(",") if x.strip()} if text else set()


# --- running one server -------------------------------------------------------------------


class running_server:
    """A started echo server: waits for its "listening on <port>" line, keeps draining its
    output so it never blocks on a full pipe, and stops it with SIGTERM."""

    def __init__(self, srv: server):
        self.srv = srv
        self.err = tempfile.TemporaryFile(mode="w+")
        try:
            self.proc = subprocess.Popen(srv.argv + ["--port", "0"], stdout=subprocess.PIPE, stderr=self.err,
                                         stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        except OSError as e:
            self.err.close()
            raise echo_error(f"{srv.variant}: cannot start {srv.argv[0]}: {e}") from e
        self.port = self._wait_listening()
        threading.Thread(target=self._drain, daemon=True).start()

    def pin(self, cpus: set | None) -> None:
        pin(self.proc.pid, cpus)

    def cpu_ns(self) -> int | None:
        return cpu_ns(self.proc.pid)

    def _wait_listening(self) -> int:
        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.kill()
                    raise echo_error(f"{self.srv.variant}: no 'listening on <port>' line within {START_TIMEOUT_S:g} s"
                                     + self.stderr_tail())
                line = self.proc.stdout.readline()
                if not line:
                    rc = self.proc.wait()
                    raise echo_error(f"{self.srv.variant}: exited (status {rc}) before listening" + self.stderr_tail())
                m = re.fullmatch(r"listening on (\d+)\s*", line)
                if m:
                    return int(m.group(1))
        finally:
            sel.close()

    def _drain(self) -> None:
        try:
            for _ in self.proc.stdout:
                pass
        except (OSError, ValueError):
            pass

    def stderr_tail(self) -> str:
        try:
            self.err.seek(0)
            lines = self.err.read().strip().splitlines()[-10:]
        except (OSError, ValueError):
            return ""
        return ("\n  " + "\n  ".join(lines)) if lines else ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM; a server must exit 0 within STOP_TIMEOUT_S."""
        try:
            if self.proc.poll() is not None:
                raise echo_error(f"{self.srv.variant}: died during the run (status {self.proc.returncode})"
                                 + self.stderr_tail())
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
                raise echo_error(f"{self.srv.variant}: still running {STOP_TIMEOUT_S:g} s after SIGTERM") from None
            if rc != 0:
                raise echo_error(f"{self.srv.variant}: exit status {rc} after SIGTERM" + self.stderr_tail())
        finally:
            self.kill()
            self.err.close()


def run_load(p: plan, port: int, connections: int, size: int, duration: float, warmup: float) -> dict:
    cmd = [str(p.load_client), "--port", str(port), "--connections", str(connections), "--size", str(size),
           "--duration", f"{duration:g}", "--warmup", f"{warmup:g}", "--json"]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                text=True)
    except OSError as e:
        raise echo_error(f"{LOAD_CLIENT}: {e}") from e
    pin(proc.pid, p.client_cpus)  # before it has connected, long before the clock starts
    try:
        out, err = proc.communicate(timeout=duration + warmup + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise echo_error(f"{LOAD_CLIENT} did not finish within {duration + warmup + 60:g} s") from None
    if proc.returncode != 0:
        raise echo_error(f"{LOAD_CLIENT} failed (exit status {proc.returncode}): {err.strip()}")
    try:
        return json.loads(out)
    except json.JSONDecodeError as e:
        raise echo_error(f"{LOAD_CLIENT} printed no JSON: {out[:200]!r}") from e


def measure(p: plan, srv: server, connections: int, size: int) -> dict:
    s = running_server(srv)
    s.pin(p.server_cpus)
    try:
        before = s.cpu_ns()
        result = run_load(p, s.port, connections, size, p.duration, p.warmup)
        after = s.cpu_ns()
        if before is not None and after is not None and result.get("total_requests", 0) > 0:
            # Includes connecting and the warm-up, as total_requests does.
            result["server_cpu_ns_per_request"] = (after - before) / result["total_requests"]
    except echo_error as e:
        status = s.proc.poll()
        died = f" ({srv.variant} exited with status {status})" if status is not None else ""
        tail = s.stderr_tail()
        s.kill()
        s.err.close()
        raise echo_error(f"{srv.variant}: {e}{died}{tail}") from None
    except BaseException:
        s.kill()
        raise
    s.stop()
    return result


def entry(scenario: str, variant: str, r: int, result: dict | None, error: str | None) -> dict:
    """A Google Benchmark-shaped entry: the time per request (1 / throughput) as both times."""
    name = f"{scenario}/{variant}"
    out = {"name": name, "run_name": name, "run_type": "iteration", "round": r, "binary": LOAD_CLIENT,
           "time_unit": "ns", "batch": 1}
    if error is not None or not result or result.get("requests_per_s", 0) <= 0:
        out.update({"error_occurred": True, "error_message": error or "no request completed",
                    "real_time": 0.0, "cpu_time": 0.0, "iterations": 0})
        return out
    ns = 1e9 / result["requests_per_s"]
    lat = result.get("latency_us", {})
    out.update({
        "iterations": result["requests"],
        "real_time": ns,
        "cpu_time": ns,
        "requests_per_s": result["requests_per_s"],
        "mb_per_s": result.get("mb_per_s"),
        "connections": result.get("connections"),
        "size": result.get("size"),
        "duration_s": result.get("duration_s"),
        "p50_us": lat.get("p50"),
        "p90_us": lat.get("p90"),
        "p99_us": lat.get("p99"),
        "p999_us": lat.get("p99.9"),
        "max_us": lat.get("max"),
        "server_cpu_us": (result["server_cpu_ns_per_request"] / 1e3 if "server_cpu_ns_per_request" in result
                          else None),
    })
    return out


def run_timing(p: plan, log, seed: int | None = None) -> list:
    rng = random.Random(seed)
    jobs = [(c, s, srv) for (c, s) in p.configs for srv in p.servers]
    total = len(jobs) * p.rounds
    started = time.monotonic()
    done = 0
    raw = []
    for r in range(p.rounds):
        order = list(jobs)
        rng.shuffle(order)
        for connections, size, srv in order:
            scenario = scenarios.echo_scenario_name(connections, size)
            try:
                result, error = measure(p, srv, connections, size), None
            except echo_error as e:
                result, error = None, str(e)
            done += 1
            e = entry(scenario, srv.variant, r, result, error)
            if error:
                shown = f"ERROR {error.splitlines()[0]}"
            else:
                shown = f"{result['requests_per_s'] / 1e3:8.1f}k req/s  p99 {result['latency_us']['p99']:9.1f} us"
            log(f"[echo {done}/{total} {time.monotonic() - started:5.0f}s] {scenario}/{srv.variant:<16} {shown}")
            raw.append(e)
    return raw


# --- system calls per request -------------------------------------------------------------


def parse_strace_summary(text: str) -> dict:
    """strace -c output -> {syscall: calls}, with "total"."""
    counts = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or not re.fullmatch(r"\d+(\.\d+)?", fields[0]):
            continue
        try:
            counts[fields[-1]] = int(fields[3])
        except ValueError:
            continue
    return counts


def count_syscalls(p: plan, srv: server, tmp: Path) -> dict:
    """System calls of the server per request in steady state: strace attaches once the
    client is connected and running, and corolla_load marks (SIGUSR1) its request count
    when the trace has started and before it stops, so connection set-up is not counted."""
    connections, size = SYSCALL_CONFIG
    out_file = tmp / f"strace-{srv.variant.replace(':', '_')}.txt"
    err_file = tmp / f"strace-{srv.variant.replace(':', '_')}.err"
    s = running_server(srv)
    s.pin(p.server_cpus)
    tracer = None
    client = None
    try:
        cmd = [str(p.load_client), "--port", str(s.port), "--connections", str(connections), "--size", str(size),
               "--duration", "1", "--warmup", "0.1", "--json"]
        client = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                  text=True)
        pin(client.pid, p.client_cpus)
        time.sleep(0.1)  # connected: the window below sees requests only
        with open(err_file, "w") as err:
            tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(s.proc.pid), "-o", str(out_file)],
                                      stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while "attached" not in err_file.read_text(errors="replace"):
            if tracer.poll() is not None or time.monotonic() > deadline:
                raise echo_error(f"strace could not attach to {srv.variant}: "
                                 f"{err_file.read_text(errors='replace').strip()[-300:]}")
            time.sleep(0.01)
        client.send_signal(signal.SIGUSR1)
        time.sleep(0.4)
        client.send_signal(signal.SIGUSR1)
        tracer.send_signal(signal.SIGINT)  # detaches and writes the summary
        tracer.wait(30)
        tracer = None
        out, err_text = client.communicate(timeout=60)
        if client.returncode != 0:
            raise echo_error(f"{LOAD_CLIENT} failed (exit status {client.returncode}): {err_text.strip()}")
        client = None
    finally:
        for proc in (tracer, client):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        s.stop()
    marks = json.loads(out).get("marks", [])
    counts = parse_strace_summary(out_file.read_text(errors="replace"))
    if len(marks) < 2 or marks[1] <= marks[0]:
        raise echo_error(f"{srv.variant}: no requests completed while traced (marks {marks})")
    if "total" not in counts:
        raise echo_error(f"{srv.variant}: strace wrote no summary")
    requests = marks[1] - marks[0]
    return {"variant": srv.variant, "connections": connections, "size": size, "requests": requests,
            "syscalls": counts["total"], "per_request": counts["total"] / requests,
            "by_call": {k: v for k, v in sorted(counts.items(), key=lambda kv: -kv[1]) if k != "total"}}


def run_syscalls(p: plan, log) -> list:
    out = []
    with tempfile.TemporaryDirectory(prefix="corolla-echo-strace-") as tmp:
        for i, srv in enumerate(p.servers, 1):
            try:
                row = count_syscalls(p, srv, Path(tmp))
                log(f"[strace {i}/{len(p.servers)}] {srv.variant:<16} {row['per_request']:.2f} syscalls/request")
            except echo_error as e:
                row = {"variant": srv.variant, "error": str(e)}
                log(f"[strace {i}/{len(p.servers)}] {srv.variant:<16} ERROR {str(e).splitlines()[0]}")
            out.append(row)
    return out


def run(p: plan, log) -> tuple:
    """Timing rounds, then (untimed) the strace pass. Returns (raw entries, syscall rows)."""
    placement = ("unpinned" if p.server_cpus is None else
                 f"server on CPU {','.join(map(str, sorted(p.server_cpus)))}, "
                 f"client on CPU {','.join(map(str, sorted(p.client_cpus)))}")
    log(f"compare: tcp_echo: {len(p.servers)} server(s) x {len(p.configs)} configuration(s) x {p.rounds} round(s), "
        f"{p.duration:g} s each after {p.warmup:g} s warm-up, {placement}")
    for note in p.notes:
        log(f"compare: tcp_echo: note: {note}")
    raw = run_timing(p, log)
    syscalls = run_syscalls(p, log) if p.syscalls else []
    return raw, syscalls


def listing(p: plan) -> list:
    return [f"{scenarios.echo_scenario_name(c, s)}/{srv.variant}" for (c, s) in p.configs for srv in p.servers]
