"""Version of python-worker-extension-framework; the build reads it without importing."""

VERSION = "0.1.0"
