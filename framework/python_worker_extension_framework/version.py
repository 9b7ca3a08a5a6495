"""Version of the python-worker-extension-framework distribution (read by setup.py)."""

VERSION = "0.1.0"
