"""``WorkerExtension``, the extension base class."""

from __future__ import annotations

import logging

from ..recorders import (
    make_recorder,
)


def test_extension_logger_is_customer_visible() -> None:
    recorder = make_recorder([])
    assert not recorder.log.name.startswith("azure_functions_worker")
    assert recorder.log.name == __name__.split(".")[0]
    assert isinstance(recorder.log, logging.Logger)
