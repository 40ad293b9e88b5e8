"""Canonical JSON of declarations and events: the JSON Canonicalization Scheme (RFC 8785).

Signatures and hashes are computed over these bytes, so anybody with any RFC 8785
implementation can recompute them from the JSON of a declaration file, whatever
whitespace or key order that file has.

Rules (RFC 8785 section 3.2): no whitespace; object members sorted by their names as
UTF-16 code units; strings with only ``"``, ``\\`` and the control characters below
U+0020 escaped (``\\b \\t \\n \\f \\r`` or ``\\u00xx``), everything else as UTF-8;
numbers as ECMAScript's ``Number.prototype.toString`` writes IEEE 754 doubles (shortest
round-trip digits, exponent form below 1e-6 and from 1e21); ``true``, ``false``, ``null``.

References
----------
A. Rundgren, B. Jordan, S. Erdtman (2020) RFC 8785, JSON Canonicalization Scheme (JCS).
ECMA-262, 7.1.12.1 Number::toString.
"""

from __future__ import annotations

import math
from decimal import Decimal
from json.encoder import encode_basestring

from .errors import CanonicalError

#: Largest integer an IEEE 754 double holds exactly (2**53); RFC 8785 section 3.2.2.3.
MAX_SAFE_INTEGER = 2 ** 53


def canonical_bytes(value: object) -> bytes:
    """The RFC 8785 canonical form of a JSON value, as UTF-8 bytes.

    Parameters
    ----------
    value : dict, list, str, int, float, bool or None
        A JSON value (nested).

    Returns
    -------
    bytes

    Raises
    ------
    CanonicalError
        On a value JSON cannot hold: NaN or infinity, an integer beyond +-2**53, a
        non-string object key, a lone surrogate in a string, or another Python type.
    """
    parts: list[str] = []
    _write(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(f"text with a lone surrogate cannot be canonicalised ({exc.reason})") from None


def _write(value: object, out: list[str]) -> None:
    kind = type(value)  # the commonest exact types first (a result has ~5000 values and ~4700 keys)
    if kind is str:
        out.append(encode_basestring(value))  # what json.dumps(value, ensure_ascii=False) writes, without its set-up
    elif kind is float:
        out.append(number_text(value))
    elif kind is dict:
        _write_object(value, out)
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalError(f"integer {value} is beyond 2**53 and cannot be canonicalised exactly")
        out.append(int.__repr__(value))  # number_text(float(value)) within +-2**53: the digits
    elif isinstance(value, float):
        out.append(number_text(value))
    elif isinstance(value, dict):
        _write_object(value, out)
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise CanonicalError(f"a {type(value).__name__} is not a JSON value")


#: ``,"<key>":`` of the keys met (field names, mostly): a result has ~4700 keys, ~150 of them different
_MEMBER: dict[str, str] = {}


def _write_object(value: dict, out: list[str]) -> None:
    try:
        ascii_keys = "".join(value).isascii()  # TypeError: a key that is not a string
    except TypeError:
        key = next(key for key in value if not isinstance(key, str))
        raise CanonicalError(f"object key {key!r} is not a string") from None
    if ascii_keys:  # ASCII: code points and UTF-16 code units sort alike
        keys = sorted(value)
    else:
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
    start = len(out)
    for key in keys:
        text = _MEMBER.get(key) if type(key) is str else None  # a str subclass could compare equal to another text
        if text is None:
            text = f",{encode_basestring(key)}:"
            if len(_MEMBER) < 4096 and type(key) is str:
                _MEMBER[key] = text
        out.append(text)
        _write(value[key], out)
    if keys:
        out[start] = "{" + out[start][1:]  # its first member without the comma
    else:
        out.append("{")
    out.append("}")


def number_text(x: float) -> str:
    """ECMAScript's text of a double (ECMA-262 Number::toString, as RFC 8785 requires).

    Parameters
    ----------
    x : float
        A finite number.

    Returns
    -------
    str
        E.g. ``0``, ``-1.5``, ``1e+21``, ``1e-7``, ``333333333.3333333``.

    Raises
    ------
    CanonicalError
        On NaN or infinity (JSON has no such numbers).
    """
    if not math.isfinite(x):
        raise CanonicalError(f"{x!r} is not a JSON number; only finite numbers can be declared")
    if x == 0:
        return "0"  # also -0.0
    text = float.__repr__(x)  # a float subclass's own repr (numpy's np.float64(1.5)) is not its number
    if "e" not in text:
        # 1e-4 <= |x| < 1e16: repr writes the shortest round-trip digits positionally, as ECMAScript
        # does there (:func:`_placed` places the same digits by hand); an integral value without ".0"
        return text[:-2] if text.endswith(".0") else text
    return _from_exponent(text)


def _from_exponent(text: str) -> str:
    """:func:`number_text` from repr's exponent form (``[-]d[.ddd]e<sign>XX``: one digit before the
    point, no trailing zero), its digits placed by ECMA-262's rules as :func:`_placed` places them
    (the test compares the two); a fifth of _placed's CPU, and a result has ~100 such numbers."""
    mantissa, _, exponent = text.partition("e")
    sign, mantissa = ("-", mantissa[1:]) if mantissa[0] == "-" else ("", mantissa)
    digits = mantissa.replace(".", "")
    n = int(exponent) + 1  # the value is 0.<digits> x 10^n; repr: n >= 17 or n <= -4
    if n > 21 or n <= -6:
        return f"{sign}{mantissa}e{'+' if n > 1 else '-'}{abs(n - 1)}"
    if n > 0:  # 17 <= n <= 21: at most 17 digits, all before the point
        return sign + digits + "0" * (n - len(digits))
    return sign + "0." + "0" * -n + digits


def _placed(x: float) -> str:
    """:func:`number_text` of a finite, non-zero ``x`` from repr's digits placed by ECMA-262's rules."""
    sign = "-" if x < 0 else ""
    # repr() gives the shortest digits that round-trip (as ECMAScript requires)
    _, digits_tuple, exp = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    trailing = len("".join(map(str, digits_tuple))) - len(digits)
    k = len(digits)
    n = exp + trailing + k  # the value is 0.<digits> x 10^n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
    return sign + text
