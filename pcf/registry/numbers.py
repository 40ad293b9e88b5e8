"""Label numbers: ``PREFIX-YYYY-NNNNNN-CC``.

- ``PREFIX``: the registry's prefix, 2-8 capital letters and digits starting with a letter
  (default ``PCF``; set with ``pcf registry init --prefix``);
- ``YYYY``: the year (UTC) the label was issued;
- ``NNNNNN``: the registry-wide sequence number, 1, 2, 3, ... with no gaps, at least six
  digits (zero-padded); the registry hands it out inside the write transaction that stores
  the label, so concurrent issuers get distinct consecutive numbers;
- ``CC``: two check digits, ISO 7064 MOD 97-10 (as in the IBAN, ISO 13616) over
  ``PREFIX YYYY NNNNNN`` with letters counted A = 10 ... Z = 35; they catch every single
  mistyped character and every swap of two neighbouring digits.

Example: ``PCF-2026-000001-87`` (the first label of 2026 in a registry with prefix PCF).

References
----------
ISO/IEC 7064:2003, MOD 97-10; ISO 13616-1:2020 (IBAN check digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import RegistryError

PREFIX_RE = re.compile(r"[A-Z][A-Z0-9]{1,7}")
NUMBER_RE = re.compile(r"([A-Z][A-Z0-9]{1,7})-([0-9]{4})-([0-9]{6,})-([0-9]{2})")


def _digits(text: str) -> str:
    """Letters as two digits (A = 10 ... Z = 35), digits as they are (ISO 13616 / ISO 7064)."""
    return "".join(str(int(c, 36)) for c in text)


def _mod97(digits: str) -> int:
    """``int(digits) % 97`` nine digits at a time (ISO 7064's piecewise method), so any length
    works (Python refuses to convert decimal strings of more than 4,300 digits)."""
    rest = 0
    for i in range(0, len(digits), 9):
        rest = int(f"{rest}{digits[i:i + 9]}") % 97
    return rest


def check_digits(body: str) -> str:
    """ISO 7064 MOD 97-10 check digits of a text of capital letters and digits.

    Parameters
    ----------
    body : str
        E.g. ``PCF2026000001``.

    Returns
    -------
    str
        Two digits ``CC`` such that ``int(digits(body) + CC) % 97 == 1``.
    """
    return f"{98 - _mod97(_digits(body) + '00'):02d}"


def check_prefix(prefix: str) -> str:
    """Check a label-number prefix (2-8 capitals and digits, starting with a letter).

    Raises
    ------
    RegistryError
    """
    if not isinstance(prefix, str) or not PREFIX_RE.fullmatch(prefix):
        raise RegistryError(f"label-number prefix {prefix!r} is not allowed: use 2-8 capital letters "
                            "and digits starting with a letter, e.g. PCF or CB1")
    return prefix


def format_number(prefix: str, year: int, seq: int) -> str:
    """The label number of a sequence number.

    Parameters
    ----------
    prefix : str
        Registry prefix.
    year : int
        Year of issue (UTC).
    seq : int
        Registry-wide sequence number (>= 1).

    Returns
    -------
    str
        ``PREFIX-YYYY-NNNNNN-CC``.
    """
    check_prefix(prefix)
    if not 1000 <= year <= 9999 or seq < 1:
        raise RegistryError(f"cannot number a label with year {year} and sequence {seq}")
    body = f"{prefix}-{year:04d}-{seq:06d}"
    return f"{body}-{check_digits(body.replace('-', ''))}"


@dataclass(frozen=True)
class LabelNumber:
    """A parsed label number: ``prefix``, ``year``, ``seq``, and the text."""

    prefix: str
    year: int
    seq: int
    text: str


def parse_number(text: str) -> LabelNumber:
    """Parse and check a label number.

    Raises
    ------
    RegistryError
        When the text does not have the form ``PREFIX-YYYY-NNNNNN-CC`` or its check digits
        are wrong (a typo).
    """
    m = NUMBER_RE.fullmatch(text.strip().upper()) if isinstance(text, str) else None
    if not m:
        raise RegistryError(f"{text!r} is not a label number (PREFIX-YYYY-NNNNNN-CC, e.g. PCF-2026-000001-xx)")
    prefix, year, seq, cc = m.groups()
    if len(seq) > 18:  # a registry-wide sequence number beyond 10^18 is not one pcf gave
        raise RegistryError(f"{text[:40]!r}...: not a label number (its sequence number has {len(seq)} digits)")
    if _mod97(_digits(prefix + year + seq) + cc) != 1:
        raise RegistryError(f"{text!r}: the check digits do not match; the number was mistyped")
    return LabelNumber(prefix, int(year), int(seq), m.group(0))


def looks_like_number(text: str) -> bool:
    """True when the text has the shape of a label number (check digits not checked)."""
    return isinstance(text, str) and NUMBER_RE.fullmatch(text.strip().upper()) is not None
