"""Version of python-worker-extension-timer; the build reads it without importing."""

VERSION = "0.1.0"
