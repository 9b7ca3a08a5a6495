"""The surface of ``opencensus-extension-azure-functions`` keeps working after the one-import
switch: ``configure(**AzureExporter options)`` and ``context.tracer``."""

from __future__ import annotations

import azure.functions as func
import pytest
from opencensus.trace.tracer import Tracer
from python_worker_extension_framework import OptionTypeError
from python_worker_extension_framework.testing import invoke, make_context, make_http_request
from python_worker_extension_opencensus import AZURE_EXPORTER_OPTIONS, OpenCensusExtension

from .conftest import INCOMING, INSTRUMENTATION_KEY, Recorder, envelopes


def test_azure_exporter_options_are_accepted_by_their_names(
    extension: type[OpenCensusExtension], ingestion: Recorder
) -> None:
    assert {"export_interval", "enable_local_storage", "timeout", "proxies"} <= set(
        AZURE_EXPORTER_OPTIONS
    )
    extension.configure(
        connection_string=f"InstrumentationKey={INSTRUMENTATION_KEY};"
        f"IngestionEndpoint={ingestion.url}",
        enable_local_storage=False,
        export_interval=60,
        timeout=5.0,
        max_batch_size=10,
    )

    def main(req: func.HttpRequest, context: func.Context) -> str:
        assert isinstance(context.tracer, Tracer)
        with context.tracer.span("parent"), context.tracer.span("child"):
            pass
        return "ok"

    context = make_context("Main", trace_parent=INCOMING)
    invoke(main, context=context, req=make_http_request()).raise_for_exception()
    extension.flush(10.0)
    names = sorted(e["data"]["baseData"]["name"] for e in envelopes(ingestion))
    assert names == ["Main", "child", "parent"]


def test_azure_exporter_option_of_the_wrong_type_is_rejected(
    extension: type[OpenCensusExtension],
) -> None:
    with pytest.raises(OptionTypeError, match="'export_interval' must be int or float"):
        extension.configure(exporter="none", export_interval="soon")
