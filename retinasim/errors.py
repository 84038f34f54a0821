"""retinasim's own exception types.

Every error a user can cause (a bad circuit file, a bad argument, a corrupt file) is raised as a
subclass of :class:`RetinasimError`; the command line turns it into one clear line and a
non-zero exit code instead of a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class RetinasimError(Exception):
    """Base class of every error retinasim raises on purpose."""


@dataclass(frozen=True)
class SpecIssue:
    """One problem found in a circuit file, at 1-based ``line`` and ``column`` (``None``
    when unknown) of ``file`` (as the user gave it; ``"<string>"`` for text), in the field at
    dotted ``path`` (``connections[3].kernel``; may be empty)."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class SpecError(RetinasimError):
    """A circuit specification is invalid; holds every issue found, not only the first."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))

    @classmethod
    def at(
        cls, file: str, message: str, line: int | None = None, column: int | None = None
    ) -> SpecError:
        """The error of one issue of ``file`` as a whole (at ``line``, ``column`` if known)."""
        return cls([SpecIssue(file, line, column, "", message)])


class PluginError(RetinasimError):
    """A cell-type plugin failed to load, misbehaved, or clashes with another."""


class StimulusError(RetinasimError):
    """Stimulus parameters are out of range or inconsistent."""


class TrainingError(RetinasimError):
    """Base of the training errors; also bad training settings (an override, a batch size
    that does not split over the processes, a task that does not fit the circuit)."""


class RunFolderError(TrainingError):
    """A run folder exists and may not be overwritten, or is not a run folder."""
