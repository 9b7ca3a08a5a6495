"""The metadata of python-worker-extension-timer is declared in pyproject.toml; this file only lets
tools that look for a setup.py (and ``extensions/*/setup.py`` globs) find the distribution."""

from setuptools import setup

setup()
