"""Packaging for python-worker-extension-request-logging.

The version is read from the version file, never by importing the package, and the
runtime dependencies are only the framework and the SDK: this package is installed into
every user's deployed function app.
"""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
PACKAGE = "python_worker_extension_request_logging"
VERSION_FILE = HERE / PACKAGE / "version.py"
VERSION = re.search(r'VERSION = "([^"]+)"', VERSION_FILE.read_text()).group(1)  # type: ignore[union-attr]

setup(
    name="python-worker-extension-request-logging",
    version=VERSION,
    description="One safe, structured log record per Azure Functions invocation, secrets redacted",
    long_description=(HERE / "readme.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author="Python Worker Extensions contributors",
    license="MIT",
    url="https://pypi.org/project/python-worker-extension-request-logging/",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    package_data={PACKAGE: ["py.typed"]},
    python_requires=">=3.9",
    install_requires=[
        "python-worker-extension-framework>=0.1.0,<1",
        "azure-functions>=1.7.0,<3",
    ],
    extras_require={
        "test": ["python-worker-extension-framework[testing]>=0.1.0,<1", "hypothesis>=6,<7"],
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
        "Topic :: System :: Logging",
        "Typing :: Typed",
    ],
    zip_safe=False,
)
