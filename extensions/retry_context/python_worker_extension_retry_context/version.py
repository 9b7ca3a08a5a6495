"""Version of python-worker-extension-retry-context; the build reads it without importing."""

VERSION = "0.1.0"
