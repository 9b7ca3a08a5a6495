"""The local host: runs a function app and its extensions without the .NET Functions host.

``funcext start APP_DIR`` (see ``cli.py``); the pieces are usable on their own: ``loader``
imports an app as the worker does, ``runtime.FunctionHost`` invokes its functions through
the dispatcher, ``asgi.HostApp`` serves them. What ``func start`` users expect beyond that
lives beside them: ``core_tools`` (the ``Host`` section, connection strings),
``start_options`` (its flags), ``cors``, ``timers`` with ``ncrontab``, ``system_logs``, and
``check`` (``funcext check``, the pre-deploy check). ``start_errors`` holds the errors of a
start that cannot go on, so that ``cors`` and ``timers`` load only for an app that needs them.
"""
