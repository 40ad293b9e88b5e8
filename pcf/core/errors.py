"""Exception hierarchy of pcf.

Every error pcf raises on purpose derives from :class:`PCFError`; the command line maps it
to exit status 2 and prints its message. Leaves are named for the fault, and their messages
say how to fix it (style of bw2calc's ``errors`` module).
"""

from __future__ import annotations

from pathlib import Path


class PCFError(Exception):
    """Base class of every error pcf raises on purpose.

    Attributes
    ----------
    option : str or None
        The argument of the library call the error is about (e.g. ``valid_days``), set with
        :meth:`about`; a front end names its own option for it (the CLI adds
        ``(--valid-days)``). Messages never name command-line flags themselves.
    """

    option: str | None = None

    def about(self, option: str) -> "PCFError":
        """Mark the error as about the argument ``option``; returns the error (``raise
        IssueRefused(...).about("valid_days")``)."""
        self.option = option
        return self


class SourceError(PCFError):
    """An input file is wrong at a known place.

    Parameters
    ----------
    path : str or Path
        The file that is wrong.
    line : int or None
        1-based line number, or None when the place is the whole file.
    message : str
        What is wrong and how to fix it.

    ``str(error)`` is ``"path:line: message"`` (or ``"path: message"``).
    """

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class ModelError(SourceError):
    """A product model file (``pcf-model/1``) is invalid."""


class WorkbookError(SourceError):
    """A plant-data workbook (``pcf template`` / ``pcf import-plant``) is wrong at a cell or
    sheet: ``str(error)`` is ``"file:Sheet!C12: message"`` (``"file:Sheet: message"`` for a
    whole sheet, ``"file: message"`` for the whole file, e.g. an output that exists).

    Parameters
    ----------
    path : str or Path
        The workbook (or the output file the message is about).
    cell : str or None
        ``Sheet!C12``, a sheet name, or None.
    message : str
        What is wrong and how to fix it.
    """

    def __init__(self, path: str | Path, cell: str | None, message: str):
        self.path, self.line, self.cell, self.message = str(path), None, cell, message
        PCFError.__init__(self, f"{self.path}:{cell}: {message}" if cell else f"{self.path}: {message}")


class PCRError(SourceError):
    """A product category rule file (``pcr_rules/*.yaml``) is invalid."""


class TableError(SourceError):
    """A SKU table of ``pcf batch`` cannot be read (missing, no header or ``id`` column, a
    column twice, not UTF-8 / not a workbook). Errors in single rows are not raised: they
    become error records."""


class ExpressionError(PCFError):
    """An amount expression cannot be evaluated (syntax, unknown name, forbidden construct)."""


class UnitError(PCFError):
    """A unit is unknown or its dimension does not match the one required."""


class BackgroundError(PCFError):
    """The background database is missing, incomplete or lacks a referenced activity."""


class CalculationError(PCFError):
    """The product system cannot be solved (singular technosphere matrix, no reference flow)."""


class UncertaintyError(PCFError):
    """A Monte Carlo run cannot be made (too few iterations, seed out of range, nothing to sample)."""


class RenderError(PCFError):
    """A label or report cannot be rendered (missing font, bad result file)."""


class OutputError(PCFError):
    """An output cannot go where it was asked to: a file stands where a folder is needed (or a
    folder where a file is), or the place cannot be created or written. Nothing is written."""


class ComparisonRefused(PCFError):
    """Two results cannot be compared for a claim (``pcf compare A B``): different declared
    units, PCRs, boundaries, methods or declared totals, a result without a PCR assessment, or
    a handprint without a justified baseline. The message says which and how to fix it."""


class PeerGradingError(PCFError):
    """A result cannot be graded against its peers (``pcf grade``, :mod:`pcf.pcr.peers`): its PCR
    has no ``peer_grading``, it has no declared figure per declared unit, the group mixes PCRs,
    declared units or methods, is smaller than the PCR's minimum, or its reference is not a
    positive number. The message says which and how to fix it."""


class ImportFailed(BackgroundError):
    """``pcf db import`` cannot import a database (format, path, name, unreadable input); nothing is written."""


class ExchangeError(PCFError):
    """A footprint cannot be exported to, or read from, an exchange format (PACT, Catena-X,
    Battery Pass): a field the format requires is missing from the result, or a supplier
    document is invalid or does not fit the input that uses it."""


class RegistryError(PCFError):
    """Base class of the label registry's errors (leaves in :mod:`pcf.registry.errors`): the
    message says what is wrong and how to fix it."""


class CanonicalError(RegistryError):
    """A value cannot be written as RFC 8785 canonical JSON (:mod:`pcf.core.canonical`): NaN or
    infinity, an integer beyond +-2**53, a non-string key, a lone surrogate, a non-JSON type."""
