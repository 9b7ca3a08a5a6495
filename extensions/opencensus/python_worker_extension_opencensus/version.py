"""Version of python-worker-extension-opencensus; the build reads it without importing."""

VERSION = "0.1.0"
