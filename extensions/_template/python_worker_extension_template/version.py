"""Version of python-worker-extension-template; the build reads it without importing."""

VERSION = "0.1.0"
