"""The generator of perf/README.md's results section (tools/compare_report.py --perf-readme):
it rewrites only what lies between the markers, from a results.json shaped as tools/compare
writes it, and refuses a file whose markers are missing or out of order without touching it.
The results.json here is a made-up fixture for the format, not a measurement."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))
sys.dont_write_bytecode = True

import compare_report as report  # noqa: E402


def run_entry(name: str, cpu_ns: float, round_: int) -> dict:
    return {"name": name, "run_name": name, "run_type": "iteration", "iterations": 1000,
            "real_time": cpu_ns, "cpu_time": cpu_ns, "time_unit": "ns", "round": round_}


def fixture_results() -> dict:
    raw = []
    for r, jitter in enumerate((1.0, 1.1)):
        raw += [run_entry("loop_tick/corolla:epoll", 50 * jitter, r),
                run_entry("loop_tick/floor:epoll", 45 * jitter, r),
                run_entry("loop_tick/libuv", 70 * jitter, r)]
    return {
        "meta": {"created": "2000-01-02T03:04:05+00:00", "mode": "quick", "metric": "cpu", "repetitions": 2,
                 "build_type": "Release", "host": "2 x 1000 MHz", "machine": "FixtureOS 1.0 x86_64, 2 CPUs",
                 "commit": "0123456789ab", "backends": "epoll", "peers": "libuv",
                 "command": ["tools/compare", "--scenarios", "loop_tick"]},
        "raw": raw,
    }


BEFORE = "# Benchmarks\n\nHand-written prose | with a table\n|---|\n\n## Results\n\n"
AFTER = "\n\n## Older measurements\n\nKept as written.\n"


class perf_readme_test(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.tmp = Path(self.dir.name)
        self.results = self.tmp / "results.json"
        self.results.write_text(json.dumps(fixture_results()), encoding="utf-8")
        self.readme = self.tmp / "README.md"

    def tearDown(self):
        self.dir.cleanup()

    def generate(self) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(TOOLS / "compare_report.py"), "--perf-readme", str(self.results),
                               "--readme", str(self.readme)], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))

    def test_rewrites_only_the_marked_region(self):
        stale = "\nstale table that must go\n"
        self.readme.write_text(BEFORE + report.PERF_README_BEGIN + stale + report.PERF_README_END + AFTER,
                               encoding="utf-8")
        done = self.generate()
        self.assertEqual(done.returncode, 0, done.stderr)
        text = self.readme.read_text(encoding="utf-8")
        head, sep, rest = text.partition(report.PERF_README_BEGIN)
        self.assertEqual(head, BEFORE)
        region, sep2, tail = rest.partition(report.PERF_README_END)
        self.assertTrue(sep and sep2)
        self.assertEqual(tail, AFTER)
        self.assertNotIn("stale table", region)
        for expected in ("2000-01-02T03:04:05+00:00", "0123456789ab", "FixtureOS 1.0 x86_64",
                         "`tools/compare --scenarios loop_tick`", "#### `loop_tick`", "| `corolla:epoll` |",
                         "| `floor:epoll` |", "| `libuv` |", "loop tick <= 1.1x the raw floor"):
            self.assertIn(expected, region)
        # The same results give the same file: a rerun changes nothing.
        self.assertEqual(self.generate().returncode, 0)
        self.assertEqual(self.readme.read_text(encoding="utf-8"), text)

    def test_refuses_a_file_without_well_formed_markers(self):
        for broken in (BEFORE + AFTER,
                       BEFORE + report.PERF_README_BEGIN + AFTER,
                       BEFORE + report.PERF_README_END + "\nx\n" + report.PERF_README_BEGIN + AFTER,
                       BEFORE + (report.PERF_README_BEGIN + report.PERF_README_END) * 2 + AFTER):
            self.readme.write_text(broken, encoding="utf-8")
            done = self.generate()
            self.assertNotEqual(done.returncode, 0)
            self.assertIn("error", done.stderr)
            self.assertEqual(self.readme.read_text(encoding="utf-8"), broken)

    def test_refuses_input_that_is_not_a_results_json(self):
        original = BEFORE + report.PERF_README_BEGIN + "\nkept\n" + report.PERF_README_END + AFTER
        self.readme.write_text(original, encoding="utf-8")
        self.results.write_text(json.dumps({"benchmarks": []}), encoding="utf-8")
        self.assertNotEqual(self.generate().returncode, 0)
        self.assertEqual(self.readme.read_text(encoding="utf-8"), original)

    def test_the_checked_in_perf_readme_has_one_marked_region(self):
        text = (TOOLS.parent / "perf" / "README.md").read_text(encoding="utf-8")
        report.replace_marked_region(text, "")  # raises when the markers are missing or misplaced


if __name__ == "__main__":
    unittest.main()
