"""The PNG charts that ``make bench`` writes next to ``bench/results.md``.

Two pictures answer the two questions users ask before adopting an extension: how much
does each one add to an invocation (overhead over the table's baseline, microseconds), and
what does a request through the local host cost compared with a bare ASGI app (latency
distribution). matplotlib is a bench-only dependency (``bench/requirements.txt``); without
it the charts are skipped with a note and the tables are still written.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from .harness import Table, progress

OVERHEAD_CHART = "overhead.png"
LATENCY_CHART = "host-latency.png"


def _reference(table: Table) -> str:
    """The row the bars start from: the bare dispatcher when the table has one (so that
    a table comparing two extensions shows both over nothing), else its baseline."""
    bare = [row.label for row in table.rows if row.label.startswith("bare dispatcher")]
    return bare[0] if bare else table.baseline


def _overhead_bars(tables: List[Table]) -> List[Tuple[str, float, float]]:
    """(label, median overhead over the reference row, spread) for every other time row."""
    bars = []
    for table in tables:
        if not table.chart_overhead or table.higher_is_better or not table.rows:
            continue
        if table.rows[0].unit != "us":
            continue
        reference = _reference(table)
        base = table.row(reference).median
        short = table.title.split(":")[0]
        suffix = table.title.rsplit(",", 1)[1].strip() if "," in table.title else ""
        for row in table.rows:
            if row.label == reference:
                continue
            label = row.label if suffix and suffix in row.label else f"{row.label} {suffix}"
            bars.append((f"{short}: {label.strip()}", row.median - base, row.spread))
    return bars


def write_charts(tables: List[Table], folder: Path) -> List[Path]:
    """Draw the charts that the tables have data for; return the files written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        progress("no matplotlib: charts skipped (pip install -r bench/requirements.txt)")
        return []
    written: List[Path] = []
    bars = _overhead_bars(tables)
    if bars:
        height = max(3.0, 0.35 * len(bars) + 1.2)
        figure, axes = plt.subplots(figsize=(10, height))
        labels = [b[0] for b in bars]
        axes.barh(labels, [b[1] for b in bars], xerr=[b[2] for b in bars], color="#3a7bd5")
        axes.invert_yaxis()
        axes.set_xlabel(
            "added time per invocation (µs, median), over the bare dispatcher "
            "(the dispatcher's own rows: over a direct call)"
        )
        axes.set_title("Per-invocation overhead")
        axes.grid(axis="x", alpha=0.3)
        figure.tight_layout()
        path = folder / OVERHEAD_CHART
        figure.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(figure)
        written.append(path)
    latency_table = _first_with_latencies(tables)
    if latency_table is not None:
        figure, axes = plt.subplots(figsize=(10, 4.5))
        for label, values in latency_table.latencies.items():
            ordered = sorted(values)
            if not ordered:
                continue
            fractions = [(i + 1) / len(ordered) for i in range(len(ordered))]
            axes.plot(ordered, fractions, label=label)
        axes.set_xscale("log")
        axes.set_xlabel("request latency (ms, log scale)")
        axes.set_ylabel("fraction of requests")
        axes.set_title(f"{latency_table.title.split(':')[0]}: request latency distribution")
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        path = folder / LATENCY_CHART
        figure.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(figure)
        written.append(path)
    return written


def _first_with_latencies(tables: List[Table]) -> Optional[Table]:
    return next((t for t in tables if t.latencies), None)
