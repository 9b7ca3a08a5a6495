"""Packaging for python-worker-extension-retry-context.

The version is read from the version file, never by importing the package, and the
runtime dependencies are only the framework and the SDK: this package is installed into
every user's deployed function app.
"""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
PACKAGE = "python_worker_extension_retry_context"
VERSION_FILE = HERE / PACKAGE / "version.py"
VERSION = re.search(r'VERSION = "([^"]+)"', VERSION_FILE.read_text()).group(1)  # type: ignore[union-attr]

setup(
    name="python-worker-extension-retry-context",
    version=VERSION,
    description="Retry state, retry logs and final-failure callbacks for Azure Functions apps",
    long_description=(HERE / "readme.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author="Python Worker Extensions contributors",
    license="MIT",
    url="https://pypi.org/project/python-worker-extension-retry-context/",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    package_data={PACKAGE: ["py.typed"]},
    python_requires=">=3.9",
    install_requires=[
        "python-worker-extension-framework>=0.1.0,<1",
        "azure-functions>=1.7.0,<3",
    ],
    extras_require={
        "test": ["python-worker-extension-framework[testing]>=0.1.0,<1"],
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
