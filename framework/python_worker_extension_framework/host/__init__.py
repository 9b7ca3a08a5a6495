"""The local host: runs a function app and its extensions without the .NET Functions host.

``funcext start APP_DIR`` (see ``cli.py``); the pieces are usable on their own: ``loader``
imports an app as the worker does, ``runtime.FunctionHost`` invokes its functions through
the dispatcher, ``asgi.HostApp`` serves them.
"""
