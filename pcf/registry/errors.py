"""Errors of the label registry (all :class:`pcf.core.errors.PCFError`, so the CLI exits 2)."""

from __future__ import annotations

from pcf.core.errors import CanonicalError, RegistryError

__all__ = ["CanonicalError", "CaseNotFound", "CaseRefused", "IssueRefused", "KeyFileError", "LabelNotFound", "NotADeclaration", "RegistryCorrupt",
           "RegistryError", "StatusChangeRefused"]


class KeyFileError(RegistryError):
    """A key file is missing, unreadable, of the wrong kind, too open, or its passphrase is wrong."""


class IssueRefused(RegistryError):
    """A label cannot be issued: the result does not conform to its PCR, has no PCR, or the key is not usable."""


class LabelNotFound(RegistryError):
    """No label with that number is in the registry."""


class StatusChangeRefused(RegistryError):
    """A suspension, reinstatement, revocation or renewal is not allowed from the label's status."""


class NotADeclaration(RegistryError):
    """A file is not a signed declaration (``pcf-signed-declaration/1``) nor a label token."""


class RegistryCorrupt(RegistryError):
    """The registry database is not a pcf registry, has an unknown schema version, or cannot be read."""


class CaseNotFound(RegistryError):
    """No verification case with that number is in the registry."""


class CaseRefused(RegistryError):
    """A verification case cannot be opened, recorded or signed (unknown item, signed case, open
    findings, unrecorded items, a key that is not the case's verifier's)."""
