"""Version of the python-worker-extension-opentelemetry distribution (read by setup.py)."""

VERSION = "0.1.0"
