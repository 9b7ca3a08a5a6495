"""``python -m python_worker_extension_framework start [APP_DIR]``: the ``funcext`` command."""

from .host.cli import main

raise SystemExit(main())
