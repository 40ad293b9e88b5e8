"""The record of one model-lint finding (:mod:`pcf.model.lint` finds them; a result's ``lint``
list holds them, :mod:`pcf.lca.result`). Its own module so that reading a result does not
import the model loader and Pint."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITIES = ("error", "warning", "info")
"""Severity of a finding: ``error`` stops ``pcf footprint`` (and makes ``pcf lint`` exit 1),
``warning`` is a likely mistake to look at, ``info`` says what was checked or accepted."""


@dataclass(frozen=True)
class LintFinding:
    """One finding of model lint; also the record of the result's ``lint`` list
    (:mod:`pcf.lca.result`; a footprint with an ``error`` is refused, so results hold
    ``warning`` and ``info`` findings only).

    Attributes
    ----------
    check : str
        ``unreachable-process``, ``mass-balance``, ``duplicate-input`` or
        ``stage-inheritance`` or ``pcr-inventory`` (:mod:`pcf.pcr.lint`).
    severity : str
        One of :data:`SEVERITIES`.
    file : str
        The model file.
    line : int or None
        1-based line of what the finding is about, None for the whole file.
    message, fix : str
        What is wrong (with the numbers), and how to fix it.
    process : str or None
        The process it is about, if one.
    """

    check: str
    severity: str
    file: str
    line: int | None
    message: str
    fix: str
    process: str | None = None

    @property
    def where(self) -> str:
        """``file:line`` (or ``file``)."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def to_dict(self) -> dict:
        """``{check, severity, file, line, message, fix, process}``."""
        return {"check": self.check, "severity": self.severity, "file": self.file, "line": self.line,
                "message": self.message, "fix": self.fix, "process": self.process}
