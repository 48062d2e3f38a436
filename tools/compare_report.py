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
The scenarios and targets are in compare_scenarios.py, the ratios and verdicts in
compare_verdicts.py; this module renders them.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import statistics
import sys
from pathlib import Path

from compare_scenarios import echo_config, note_of, scenario_order, variant_kind, variant_order
from compare_verdicts import collect, compare, comparison, evaluate_targets, split_name, variant_stats


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
