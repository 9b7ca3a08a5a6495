"""Version of the python-worker-extension-retry-context distribution (read by setup.py)."""

VERSION = "0.1.0"
