"""Running an example folder's tests as a user would: ``pytest`` in that folder, a new process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from python_worker_extension_framework.core.gating import SETTING


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != SETTING and not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
