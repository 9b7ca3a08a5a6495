"""End-to-end tests: the local host in a subprocess on a free 127.0.0.1 port, driven over HTTP."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable, Dict, Iterator

import httpx
import pytest
from python_worker_extension_framework.testing import RunningHost, running_host

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0) as http:
        yield http


@pytest.fixture(scope="module")
def v2_host() -> Iterator[RunningHost]:
    with running_host(SAMPLES / "v2_app", args=["--max-body-size", "65536"]) as host:
        yield host


@pytest.fixture(scope="module")
def v1_host() -> Iterator[RunningHost]:
    with running_host(SAMPLES / "v1_app") as host:
        yield host


AppWriter = Callable[[Dict[str, str]], Path]


@pytest.fixture
def write_app(tmp_path: Path) -> AppWriter:
    """Write an app folder from ``{relative path: source}``; sources are dedented."""

    def write(files: Dict[str, str]) -> Path:
        app = tmp_path / "app"
        for relative, text in files.items():
            path = app / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return app

    return write


ENABLED_SETTINGS = """
{"IsEncrypted": false, "Values": {"PYTHON_ENABLE_WORKER_EXTENSIONS": "1"}}
"""
