"""Version of python-worker-extension-request-logging; the build reads it without importing."""

VERSION = "0.1.0"
