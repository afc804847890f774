"""Problems with a user's input, worded so that a person can fix them.

Every message names the file, the key inside it and the fix, because the reader is a scientist
with a YAML file open, not a developer with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config or its data: where, what, and how to fix it."""

    file: str
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}. Fix: {self.fix}"


class ConfigError(Exception):
    """A config (or the data it names) cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
