"""``make bench``: run every ``bench/bench_*.py`` and write ``bench/results.md``."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import platform
import sys
import time
from pathlib import Path
from typing import List

from .chart import write_charts
from .harness import Table, progress

HERE = Path(__file__).parent


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    names = [
        "azure-functions",
        "python-worker-extension-framework",
        "python-worker-extension-timer",
        "python-worker-extension-request-logging",
        "python-worker-extension-opencensus",
        "python-worker-extension-retry-context",
        "opencensus",
        "opencensus-extension-azure-functions",
        "uvicorn",
    ]
    found = []
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return ", ".join(found)


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    parser.add_argument("--only", help="run only bench_<ONLY>.py")
    parser.add_argument("--output", default=str(HERE / "results.md"))
    options = parser.parse_args(argv)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if options.only:
        modules = [m for m in modules if m == f"bench_{options.only}"]
    tables: List[Table] = []
    started = time.perf_counter()
    for index, name in enumerate(modules, 1):
        progress(f"({index}/{len(modules)}) {name}")
        module = importlib.import_module(f"bench.{name}")
        tables.extend(module.run(quick=options.quick))
    header = [
        "# Benchmark results",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'unknown cpu'}, "
        f"Python {platform.python_version()} on {platform.system()}",
        f"Versions: {_versions()}",
        f"Run: `make bench`{' --quick' if options.quick else ''}, "
        f"{time.perf_counter() - started:.0f} s. Ratios compare medians measured in the same run.",
        "",
    ]
    output = Path(options.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    charts = write_charts(tables, output.parent)
    if charts:
        header += ["Charts: " + ", ".join(f"![{p.stem}]({p.name})" for p in charts), ""]
    text = "\n".join(header) + "\n".join(t.markdown() for t in tables)
    output.write_text(text)
    progress(f"wrote {output}" + "".join(f", {p}" for p in charts))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
