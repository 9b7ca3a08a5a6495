"""Every distribution builds, passes ``twine check``, carries the right metadata, and works
from its wheels alone in a fresh virtual environment."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import httpx
import pytest
from python_worker_extension_framework.testing import running_host

from .conftest import ROOT, distribution_dirs

# Building every distribution and installing them in a fresh venv takes tens of seconds.
pytestmark = pytest.mark.slow

LICENSE = "MIT"


def _wheel(files: List[Path]) -> Path:
    return next(f for f in files if f.suffix == ".whl")


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(archive.read(name))


def test_every_distribution_has_sdist_and_wheel(built_distributions: Dict[str, List[Path]]) -> None:
    assert len(built_distributions) == len(distribution_dirs())
    for name, files in built_distributions.items():
        suffixes = sorted(f.name.rsplit(".", 2)[-1] for f in files)
        assert suffixes == ["gz", "whl"], name


def test_twine_check_passes(built_distributions: Dict[str, List[Path]]) -> None:
    files = [str(f) for fs in built_distributions.values() for f in fs]
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_metadata_is_complete(built_distributions: Dict[str, List[Path]]) -> None:
    for files in built_distributions.values():
        meta = _metadata(_wheel(files))
        name = meta["Name"]
        assert name.startswith("python-worker-extension-"), name
        assert re.fullmatch(r"\d+\.\d+\.\d+", meta["Version"]), (name, meta["Version"])
        assert meta["Summary"] and len(meta["Summary"]) > 20, name
        assert meta["Description-Content-Type"] == "text/markdown", name
        assert len(meta.get_payload() or "") > 500, f"{name}: readme missing from long description"
        assert meta["License"] == LICENSE or LICENSE in (meta["License-Expression"] or ""), name
        assert meta["Requires-Python"] == ">=3.9", name
        classifiers = meta.get_all("Classifier") or []
        for minor in (9, 10, 11, 12):
            assert f"Programming Language :: Python :: 3.{minor}" in classifiers, (name, minor)
        requires = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
        assert any(r.startswith("azure-functions") for r in requires), name
        for requirement in requires:
            if "~=" in requirement:  # a compatible-release range is bounded both ways
                continue
            assert "<" in requirement, f"{name}: {requirement!r} has no upper bound"
            assert ">" in requirement, f"{name}: {requirement!r} has no lower bound"
        urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
        assert urls.get("Source", "").startswith("https://"), (name, urls)
        assert urls.get("Issues", "").startswith("https://"), (name, urls)
        with zipfile.ZipFile(_wheel(files)) as archive:
            assert any(n.endswith("/py.typed") for n in archive.namelist()), name
            assert not any(n.startswith(("tests/", "samples/")) for n in archive.namelist()), name


def test_every_sdist_and_wheel_carries_the_licence(
    built_distributions: Dict[str, List[Path]],
) -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License"), "the LICENSE file says what the metadata says"
    for name, files in built_distributions.items():
        sdist = next(f for f in files if f.name.endswith(".tar.gz"))
        with tarfile.open(sdist) as archive:
            member = archive.extractfile(f"{sdist.name[: -len('.tar.gz')]}/LICENSE")
            assert member is not None, name
            assert member.read().decode("utf-8") == licence, f"{name}: sdist LICENSE differs"
        with zipfile.ZipFile(_wheel(files)) as archive:
            found = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
            assert len(found) == 1, (name, archive.namelist())
            assert archive.read(found[0]).decode("utf-8") == licence, name
        assert _metadata(_wheel(files)).get_all("License-File") == ["LICENSE"], name


def test_framework_metadata_publishes_no_development_extra(
    built_distributions: Dict[str, List[Path]],
) -> None:
    meta = _metadata(_wheel(built_distributions[ROOT.name]))
    assert meta["Name"] == "python-worker-extension-framework"
    assert sorted(meta.get_all("Provides-Extra") or []) == ["host", "testing"]


def test_extensions_pin_the_framework_to_a_compatible_release(
    built_distributions: Dict[str, List[Path]],
) -> None:
    framework = _metadata(_wheel(built_distributions[ROOT.name]))["Version"]
    major, minor, _ = framework.split(".")
    wanted = re.compile(rf"python-worker-extension-framework(\[\w+\])?~={major}\.{minor}\.0(;|$)")
    extensions = {k: v for k, v in built_distributions.items() if k != ROOT.name}
    assert extensions, "no extension was built"
    for name, files in extensions.items():
        requires = _metadata(_wheel(files)).get_all("Requires-Dist") or []
        pins = [r for r in requires if r.startswith("python-worker-extension-framework")]
        assert pins and all(wanted.match(r) for r in pins), (name, pins, wanted.pattern)


@pytest.mark.skipif(os.environ.get("SKIP_FRESH_VENV") == "1", reason="SKIP_FRESH_VENV=1")
def test_wheels_work_in_a_fresh_venv_without_the_source_tree(
    built_distributions: Dict[str, List[Path]], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    wheels = [str(_wheel(files)) for files in built_distributions.values()]
    # The framework with its [host] extra: the samples are checked through the local host.
    wheels = [
        w + "[host]" if Path(w).name.startswith("python_worker_extension_framework-") else w
        for w in wheels
    ]
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *wheels],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    check = ROOT / "tests" / "packaging" / "fresh_venv_check.py"
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    samples = tmp_path / "samples"
    subprocess.run(["cp", "-r", str(ROOT / "samples"), str(samples)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(python), str(check), str(samples)],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "fresh venv checks passed" in result.stdout
    _samples_answer_through_the_installed_host(python, samples)


# What each sample answers through the host installed from the wheels: (method, path, body
# or None, text the answer must contain, or "log:" and a regex the console must show).
# Every sample folder must be listed here.
SAMPLE_CHECKS: Dict[str, List[Tuple[str, str, Optional[str], str]]] = {
    "timer_app": [("GET", "api/HttpTrigger?name=Wheel", None, "Hello, Wheel. This HTTP")],
    "timer_v2_app": [("GET", "api/stats", None, '"status": "ok"')],
    "v1_app": [("GET", "api/greet/Wheel", None, "Hello, Wheel. (TimeElapsed: ")],
    "v2_app": [("POST", "api/hello", '{"name": "Wheel"}', "Hello, Wheel. (TimeElapsed: ")],
    "all_extensions_app": [("GET", "api/hello?name=Wheel", None, "Hello, Wheel. (TimeElapsed: ")],
    "opentelemetry_app": [("GET", "api/orders/7", None, "order 7")],
    "retry_app": [
        ("POST", "admin/functions/flaky_sync", '{"input": ""}', "log:succeeded on attempt 3"),
    ],
    # The dashboard's page and assets come from the installed wheel, not the source tree.
    "dashboard_app": [
        ("GET", "api/hello?name=Wheel", None, "Hello, Wheel."),
        ("GET", "_funcext/", None, "<title>funcext dashboard</title>"),
        ("GET", "_funcext/static/app.js", None, "new EventSource("),
        ("GET", "_funcext/static/style.css", None, ".hook-row"),
        ("GET", "_funcext/api/invocations", None, '"function":"hello"'),
    ],
    "triggers_app": [
        ("POST", "admin/functions/count_lines", '{"input": "a\\nb"}', "log:has 2 lines"),
    ],
}


def _samples_answer_through_the_installed_host(python: Path, samples: Path) -> None:
    apps = sorted(p.name for p in samples.iterdir() if p.is_dir() and _is_app(p))
    assert apps == sorted(SAMPLE_CHECKS), "list every sample app in SAMPLE_CHECKS"
    env = {"PYTHONPATH": "", "VIRTUAL_ENV": ""}
    for app in apps:
        with running_host(samples / app, python=str(python), env=env) as host:
            for method, path, body, expected in SAMPLE_CHECKS[app]:
                response = httpx.request(method, host.url(path), content=body, timeout=30)
                assert response.status_code < 300, (app, path, response.status_code, host.output)
                if expected.startswith("log:"):
                    host.wait_for(expected[len("log:") :], timeout=30)
                else:
                    assert expected in response.text, (app, path, response.text)


def _is_app(folder: Path) -> bool:
    return (folder / "function_app.py").is_file() or any(folder.glob("*/function.json"))
