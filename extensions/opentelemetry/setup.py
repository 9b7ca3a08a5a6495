"""The distribution's metadata is declared in pyproject.toml, next to this file; setup.py
stays only for tools that look for one."""

from setuptools import setup

setup()
