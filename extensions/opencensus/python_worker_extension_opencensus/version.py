"""Version of the python-worker-extension-opencensus distribution (read by setup.py)."""

VERSION = "0.1.0"
