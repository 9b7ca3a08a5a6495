"""Packaging for python-worker-extension-opencensus.

The version is read from the version file, never by importing the package. OpenCensus is
retired and frozen upstream, so its packages are bounded to the releases this extension
was tested with; the ``bench`` extra brings the extension this one replaces, to compare.
"""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
PACKAGE = "python_worker_extension_opencensus"
VERSION_FILE = HERE / PACKAGE / "version.py"
VERSION = re.search(r'VERSION = "([^"]+)"', VERSION_FILE.read_text()).group(1)  # type: ignore[union-attr]

BENCH_REQUIRES = ["opencensus-extension-azure-functions>=1.0.0,<2"]

setup(
    name="python-worker-extension-opencensus",
    version=VERSION,
    description=(
        "OpenCensus tracing for Azure Functions Python apps: invocation spans, trace "
        "propagation, Azure Monitor or local export"
    ),
    long_description=(HERE / "readme.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author="Python Worker Extensions contributors",
    license="MIT",
    url="https://pypi.org/project/python-worker-extension-opencensus/",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    package_data={PACKAGE: ["py.typed"]},
    python_requires=">=3.9",
    install_requires=[
        "python-worker-extension-framework>=0.1.0,<1",
        "azure-functions>=1.7.0,<3",
        "opencensus>=0.11.0,<0.12",
        "opencensus-ext-azure>=1.1.0,<2",
        "opencensus-ext-requests>=0.8.0,<0.9",
        # The worker (4.34) pins protobuf 4.25.x and imports it first; without this cap
        # the google-api-core chain resolves to protobuf 5+ generated code that fails there.
        "protobuf>=3.19,<5",
    ],
    extras_require={
        "test": [
            "python-worker-extension-framework[testing]>=0.1.0,<1",
            "requests>=2.20",
            "hypothesis>=6",
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
        "Topic :: System :: Monitoring",
        "Typing :: Typed",
    ],
    zip_safe=False,
)
