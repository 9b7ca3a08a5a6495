"""Version of the python-worker-extension-request-logging distribution (read by setup.py)."""

VERSION = "0.1.0"
