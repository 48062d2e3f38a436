"""The figures and verdicts of tools/compare: Google Benchmark runs grouped by benchmark
(time per item, or a counter), every corolla variant's ratio to its floor and to the best peer,
and the acceptance targets checked against their named references (the targets are in
compare_scenarios.py). Stdlib only.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from compare_scenarios import (CHILD_CPU_COUNTER, ECHO_FLOOR, TARGETS, TIME_UNITS_NS, counter_of, echo_config,
                               scenario_rank, variant_kind)


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
