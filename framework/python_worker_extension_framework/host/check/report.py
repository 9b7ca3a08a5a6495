"""What ``funcext check`` found: problems with a severity, the file to change and the fix."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

ERROR = "error"
WARNING = "warning"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Problem:
    """One finding. ``file`` is relative to the app folder when inside it."""

    severity: str  # "error" or "warning"
    code: str  # stable identifier, e.g. "extensions-setting-missing"
    file: str
    message: str
    fix: str

    def as_text(self) -> str:
        return f"{self.severity}: {self.file}: {self.message}\n    Fix: {self.fix}"


@dataclass
class CheckReport:
    """Everything found for one app, and which Python version the rules were applied for."""

    app_dir: str
    python_version: str
    python_source: str
    problems: List[Problem] = field(default_factory=list)

    def add(self, severity: str, code: str, file: str, message: str, fix: str) -> None:
        self.problems.append(Problem(severity, code, file, message, fix))

    @property
    def errors(self) -> List[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> List[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def exit_code(self) -> int:
        """1 when there is an error, 0 otherwise (warnings alone pass)."""
        return 1 if self.errors else 0

    def codes(self, severity: Optional[str] = None) -> List[str]:
        return [p.code for p in self.problems if severity is None or p.severity == severity]

    def as_dict(self) -> Dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "app": self.app_dir,
            "python": {"version": self.python_version, "source": self.python_source},
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [asdict(p) for p in self.problems],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> CheckReport:
        python = data.get("python") or {}
        return cls(
            app_dir=str(data["app"]),
            python_version=str(python.get("version", "")),
            python_source=str(python.get("source", "")),
            problems=[Problem(**p) for p in data.get("problems") or []],
        )

    def as_text(self) -> str:
        lines = [f"Checked {self.app_dir} for Python {self.python_version} ({self.python_source})"]
        lines += [p.as_text() for p in self.problems]
        lines.append(
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
            + ("" if self.problems else ": ready to deploy as far as this check can tell")
        )
        return "\n".join(lines)
