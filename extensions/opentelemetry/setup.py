"""Packaging for python-worker-extension-opentelemetry.

The version is read from the version file, never by importing the package. The core needs
only the OpenTelemetry API and SDK; every exporter and instrumentation is an extra, imported
only when chosen. The worker (4.34) pins protobuf 4.25.x and imports it before the app: the
OTLP exporter's newest releases declare protobuf>=5 but their generated code imports and
exports on the worker's 4.25 (a test proves it with the newest resolution of each extra),
so no extra is capped; see the readme's "Beside the worker's packages".
"""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
PACKAGE = "python_worker_extension_opentelemetry"
VERSION_FILE = HERE / PACKAGE / "version.py"
VERSION = re.search(r'VERSION = "([^"]+)"', VERSION_FILE.read_text()).group(1)  # type: ignore[union-attr]

AZURE = ["azure-monitor-opentelemetry-exporter>=1.0.0b21,<2"]
OTLP = ["opentelemetry-exporter-otlp-proto-http>=1.20,<2"]
REQUESTS = ["opentelemetry-instrumentation-requests>=0.41b0"]
HTTPX = ["opentelemetry-instrumentation-httpx>=0.41b0"]
URLLIB3 = ["opentelemetry-instrumentation-urllib3>=0.41b0"]
AIOHTTP = ["opentelemetry-instrumentation-aiohttp-client>=0.41b0"]
AZURE_SDK = ["azure-core-tracing-opentelemetry>=1.0.0b11"]
INSTRUMENTATIONS = REQUESTS + HTTPX + URLLIB3 + AIOHTTP + AZURE_SDK
BENCH_REQUIRES = ["python-worker-extension-opencensus>=0.1.0,<1"]

setup(
    name="python-worker-extension-opentelemetry",
    version=VERSION,
    description=(
        "OpenTelemetry for Azure Functions Python apps: an invocation span per invocation, "
        "FaaS metrics, log correlation, outgoing propagation; Azure Monitor, OTLP or local export"
    ),
    long_description=(HERE / "readme.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author="Python Worker Extensions contributors",
    license="MIT",
    url="https://pypi.org/project/python-worker-extension-opentelemetry/",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    package_data={PACKAGE: ["py.typed"]},
    python_requires=">=3.9",
    install_requires=[
        "python-worker-extension-framework>=0.1.0,<1",
        "azure-functions>=1.7.0,<3",
        "opentelemetry-api>=1.20,<2",
        "opentelemetry-sdk>=1.20,<2",
    ],
    extras_require={
        "azure": AZURE,
        "otlp": OTLP,
        "requests": REQUESTS,
        "httpx": HTTPX,
        "urllib3": URLLIB3,
        "aiohttp": AIOHTTP,
        "azure-sdk": AZURE_SDK,
        "instrumentations": INSTRUMENTATIONS,
        "test": [
            "python-worker-extension-framework[testing]>=0.1.0,<1",
            *AZURE,
            *OTLP,
            *INSTRUMENTATIONS,
            "requests>=2.20",
            "httpx>=0.23",
            "aiohttp>=3.8",
            *BENCH_REQUIRES,
        ],
        "bench": BENCH_REQUIRES,
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: System :: Monitoring",
        "Typing :: Typed",
    ],
    zip_safe=False,
)
