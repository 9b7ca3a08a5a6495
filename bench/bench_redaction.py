"""Cost of the one redaction (``toolkit.redaction``) against the code it replaced, same run.

Two inputs an HTTP invocation meets on every request: a typical URL (a function key, a
few ordinary parameters) and a typical small JSON body (a password among ordinary fields,
already parsed). The anchors are the replaced code (``legacy_redaction``): OpenCensus'
``UrlRedactor.url`` for the URL, request logging's ``SecretNames.query`` for its query
string and ``SecretNames.json`` for the body. Each redactor is built once, as the
extensions build theirs at ``configure()``, so name caches are warm as in a running app.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Callable, Dict, List, Tuple

from python_worker_extension_framework.toolkit.redaction import Findings, Redactor

from . import legacy_redaction as legacy
from .harness import Row, Table, progress

URL = (
    "https://myapp.azurewebsites.net/api/orders/12345"
    "?code=q8Zr1XbT0mYwA3kP9sVe2LhN7uJcD4fG6iOa5yWz%3D%3D&status=open&page=2&sort=desc"
)
QUERY = URL.partition("?")[2]
BODY: Any = {
    "user": "ann",
    "password": "correct horse battery staple",
    "items": [{"sku": "A-100", "qty": 2}, {"sku": "B-220", "qty": 1}],
    "address": {"street": "Storgata 1", "city": "Oslo", "zip": "0150"},
    "note": "leave at the door",
    "express": True,
}


def _interleaved(
    variants: List[Tuple[str, Callable[[], object]]], number: int, repeats: int
) -> Dict[str, List[float]]:
    """Microseconds per call, one figure per repeat; the variants take turns within each
    repeat, so machine noise (a shared box) hits them alike."""
    for _, operation in variants:  # warm-up: caches filled, code paths compiled
        for _ in range(200):
            operation()
    samples: Dict[str, List[float]] = {label: [] for label, _ in variants}
    for _ in range(repeats):
        for label, operation in variants:
            gc.disable()
            try:
                started = time.perf_counter()
                for _ in range(number):
                    operation()
                elapsed = time.perf_counter() - started
            finally:
                gc.enable()
            samples[label].append(elapsed / number * 1e6)
    return samples


def _fill(
    table: Table,
    ratios: Table,
    variants: List[Tuple[str, Callable[[], object]]],
    pairs: List[Tuple[str, str]],
    number: int,
) -> None:
    """Time rows into ``table``; one ``new / replaced`` row per pair into ``ratios``, the
    ratio taken within each repeat (its spread is the spread of those ratios)."""
    progress(f"redaction: {table.title}")
    samples = _interleaved(variants, number, repeats=9)
    for label, _ in variants:
        table.rows.append(Row(label, samples[label]))
    baseline = table.row(table.baseline).median
    for row in table.rows[1:]:
        row.note = f"{row.median - baseline:+.2f} us"
    for new, old in pairs:
        per_repeat = [n / o for n, o in zip(samples[new], samples[old])]
        ratios.rows.append(Row(f"{new} / {old}", per_repeat, unit="x", note=table.title))


def run(quick: bool = False) -> List[Table]:
    number = 1000 if quick else 10000
    new = Redactor()
    old_url = legacy.UrlRedactor()
    old_names = legacy.SecretNames()
    # Same answers where the old code was right, checked before anything is timed.
    assert new.url(URL).replace("[REDACTED]", "REDACTED") == old_url.url(URL)
    assert new.query(QUERY, Findings()) == old_names.query(QUERY, legacy.Findings())
    assert new.json(BODY, Findings()) == old_names.json(BODY, legacy.Findings())

    ratios = Table(
        "Redaction: new cost over replaced cost",
        baseline="(ratios; 1.00x is the replaced code's cost)",
        description=(
            "Median over 9 repeats of the per-repeat ratio (new time / replaced time), "
            "variants interleaved within each repeat."
        ),
        chart_overhead=False,
    )
    url_table = Table(
        "Redaction: a typical URL",
        baseline="replaced: OpenCensus UrlRedactor.url",
        description=(
            f"`{URL}` (a function key and three ordinary parameters). The new code also "
            "splits at `;`, decodes names until they stop changing, and checks every "
            "ordinary value for a secret shape (connection string, credential, JWT), which "
            "the replaced code did not. Per call, redactor built once."
        ),
        chart_overhead=False,
    )
    _fill(
        url_table,
        ratios,
        [
            ("replaced: OpenCensus UrlRedactor.url", lambda: old_url.url(URL)),
            ("new: Redactor.url", lambda: new.url(URL)),
            (
                "replaced: request logging SecretNames.query (query only)",
                lambda: old_names.query(QUERY, legacy.Findings()),
            ),
            ("new: Redactor.query (query only)", lambda: new.query(QUERY, Findings())),
        ],
        [
            ("new: Redactor.url", "replaced: OpenCensus UrlRedactor.url"),
            (
                "new: Redactor.query (query only)",
                "replaced: request logging SecretNames.query (query only)",
            ),
        ],
        number,
    )
    json_table = Table(
        "Redaction: a small JSON body",
        baseline="replaced: request logging SecretNames.json",
        description=(
            "A parsed 6-field body with a password, a list of two objects and a nested "
            "object (request logging with `log_body=True`). The new code also looks at "
            "ordinary string values for secret shapes. Per call, redactor built once."
        ),
        chart_overhead=False,
    )
    _fill(
        json_table,
        ratios,
        [
            (
                "replaced: request logging SecretNames.json",
                lambda: old_names.json(BODY, legacy.Findings()),
            ),
            ("new: Redactor.json", lambda: new.json(BODY, Findings())),
        ],
        [("new: Redactor.json", "replaced: request logging SecretNames.json")],
        number,
    )
    return [url_table, json_table, ratios]
