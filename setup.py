"""Packaging for python-worker-extension-framework, the framework distribution.

Runtime dependencies stay minimal because this package is installed into every
user's deployed function app; the local host and the pytest harness bring their
own dependencies through the ``host`` and ``testing`` extras.
"""

import pathlib
import re

from setuptools import find_packages, setup

HERE = pathlib.Path(__file__).parent
VERSION_FILE = HERE / "framework" / "python_worker_extension_framework" / "version.py"
VERSION = re.search(r'VERSION = "([^"]+)"', VERSION_FILE.read_text()).group(1)  # type: ignore[union-attr]

HOST_REQUIRES = ["uvicorn>=0.23,<1"]
TESTING_REQUIRES = ["pytest>=7"]

setup(
    name="python-worker-extension-framework",
    version=VERSION,
    description="Hook dispatcher, extension base class, local host and pytest harness for Azure Functions Python worker extensions",
    long_description=(HERE / "readme.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author="Python Worker Extensions contributors",
    license="MIT",
    url="https://pypi.org/project/python-worker-extension-framework/",
    package_dir={"": "framework"},
    packages=find_packages(where="framework"),
    package_data={"python_worker_extension_framework": ["py.typed"]},
    python_requires=">=3.9",
    install_requires=["azure-functions>=1.7.0,<3", "wrapt>=1.14,<3"],
    extras_require={
        "host": HOST_REQUIRES,
        "testing": TESTING_REQUIRES + HOST_REQUIRES + ["httpx>=0.24"],
        "dev": TESTING_REQUIRES + HOST_REQUIRES + ["httpx>=0.24", "hypothesis>=6", "ruff>=0.4", "mypy>=1.5,<2", "build>=1", "twine>=4", "wheel"],
    },
    entry_points={
        "console_scripts": ["funcext=python_worker_extension_framework.host.cli:main"],
        "pytest11": ["python_worker_extension_framework=python_worker_extension_framework.testing.plugin"],
    },
    classifiers=[
        "Development Status :: 4 - Beta",
        "Framework :: Pytest",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Typing :: Typed",
    ],
    zip_safe=False,
)
