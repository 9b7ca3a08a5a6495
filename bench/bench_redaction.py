"""Cost of the one redaction (``toolkit.redaction``) against the code it replaced, same run.

Two inputs an HTTP invocation meets on every request: a typical URL (a function key, a
few ordinary parameters) and a typical small JSON body (a password among ordinary fields,
already parsed). The anchors are the replaced code (``legacy_redaction``): OpenCensus'
``UrlRedactor.url`` for the URL, request logging's ``SecretNames.query`` for its query
string and ``SecretNames.json`` for the body. Each redactor is built once, as the
extensions build theirs at ``configure()``, so name caches are warm as in a running app.
"""

from __future__ import annotations

from typing import Any, Callable, List

from python_worker_extension_framework.toolkit.redaction import Findings, Redactor

from . import legacy_redaction as legacy
from .harness import Row, Table, per_call_microseconds, progress

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


def _rows(table: Table, variants: List[tuple[str, Callable[[], object]]], number: int) -> None:
    for label, operation in variants:
        progress(f"redaction: {label}")
        table.rows.append(Row(label, per_call_microseconds(operation, number=number)))
    baseline = table.row(table.baseline).median
    for row in table.rows[1:]:
        row.note = f"{row.median - baseline:+.2f} us"


def run(quick: bool = False) -> List[Table]:
    number = 2000 if quick else 20000
    new = Redactor()
    old_url = legacy.UrlRedactor()
    old_names = legacy.SecretNames()
    # Same answers where the old code was right, checked before anything is timed.
    assert new.url(URL).replace("[REDACTED]", "REDACTED") == old_url.url(URL)
    assert new.query(QUERY, Findings()) == old_names.query(QUERY, legacy.Findings())
    assert new.json(BODY, Findings()) == old_names.json(BODY, legacy.Findings())

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
    _rows(
        url_table,
        [
            ("replaced: OpenCensus UrlRedactor.url", lambda: old_url.url(URL)),
            ("new: Redactor.url", lambda: new.url(URL)),
            (
                "replaced: request logging SecretNames.query (query only)",
                lambda: old_names.query(QUERY, legacy.Findings()),
            ),
            ("new: Redactor.query (query only)", lambda: new.query(QUERY, Findings())),
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
    _rows(
        json_table,
        [
            (
                "replaced: request logging SecretNames.json",
                lambda: old_names.json(BODY, legacy.Findings()),
            ),
            ("new: Redactor.json", lambda: new.json(BODY, Findings())),
        ],
        number,
    )
    return [url_table, json_table]
