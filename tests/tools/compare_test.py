#!/usr/bin/env python3
"""tools/compare end to end on a stand-in benchmark binary: the driver lists, selects, runs
rounds, computes the verdicts and writes results.json and the report, so a change that
breaks the main job's own code fails here, without the release build or a measurement.

The stand-in answers Google Benchmark's command line (--benchmark_list_tests, then a run
with --benchmark_filter and --benchmark_out) with fixed times."""
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

STAND_IN = textwrap.dedent('''\
    #!{python}
    import json, re, sys
    NAMES = ["loop_tick/corolla:epoll", "loop_tick/floor:epoll", "loop_tick/corolla:poll",
             "loop_tick/floor:poll", "call_soon/corolla:epoll", "call_soon/floor"]
    TIMES = {{"corolla": 100.0, "floor": 95.0}}
    args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    if args.get("--benchmark_list_tests") == "true":
        print("\\n".join(NAMES))
        sys.exit(0)
    pattern = re.compile(args["--benchmark_filter"])
    runs = []
    for n in NAMES:
        if not pattern.search(n):
            continue
        t = TIMES["floor" if "floor" in n else "corolla"]
        runs.append({{"name": n, "run_name": n, "run_type": "iteration", "repetitions": 1,
                     "repetition_index": 0, "threads": 1, "iterations": 1000, "real_time": t,
                     "cpu_time": t, "time_unit": "ns", "items_per_second": 1e9 / t}})
        print(n, t, "ns", t, "ns", 1000, flush=True)
    context = {{"corolla_build_type": "Release", "corolla_backends": "epoll,poll", "num_cpus": 2,
               "mhz_per_cpu": 1000, "library_build_type": "release"}}
    with open(args["--benchmark_out"], "w") as f:
        json.dump({{"context": context, "benchmarks": runs}}, f)
    ''')


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="corolla-compare-test-") as tmp:
        build = Path(tmp) / "build"
        (build / "perf").mkdir(parents=True)
        stand_in = build / "perf" / "corolla_bench_standin"
        stand_in.write_text(STAND_IN.format(python=sys.executable))
        stand_in.chmod(0o755)
        out = Path(tmp) / "out"
        cmd = [sys.executable, str(ROOT / "tools" / "compare.py"), "--no-build", "--build-dir", str(build),
               "--out", str(out), "--rounds", "3", "--min-time", "0.01", "--scenarios", "loop_tick,call_soon"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        if r.returncode != 0:
            print(r.stdout, r.stderr, sep="\n")
            print(f"compare.py exited {r.returncode}")
            return 1
        results = json.loads((out / "results.json").read_text())
        names = sorted(b.get("name", "") for b in results.get("benchmarks", []))
        expected = ["call_soon/corolla:epoll", "call_soon/floor", "loop_tick/corolla:epoll",
                    "loop_tick/corolla:poll", "loop_tick/floor:epoll", "loop_tick/floor:poll"]
        problems = []
        if names != expected:
            problems.append(f"results.json names {names}, expected {expected}")
        if results.get("meta", {}).get("repetitions") != 3:
            problems.append(f"repetitions {results.get('meta', {}).get('repetitions')}, expected 3")
        if not re.search(r"loop_tick", r.stdout + r.stderr):
            problems.append("the printed table does not mention loop_tick")
        for name in ("results.json", "chart.svg", "report.html"):
            if not (out / name).is_file():
                problems.append(f"{name} was not written")
        for p in problems:
            print(p)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
