"""Version of the python-worker-extension-timer distribution (read by setup.py)."""

VERSION = "0.1.0"
