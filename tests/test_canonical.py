"""RFC 8785 numbers and strings written by pcf.core.canonical's fast paths (repr's positional range,
json's C escaper), against ECMAScript's Number::toString written out by hand (ECMA-262 7.1.12.1:
positional from 1e-6 up to 1e21, no ".0"), and its slow path (digits placed by hand) on random doubles."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcf.core import canonical
from pcf.core.canonical import canonical_bytes, number_text

ECMASCRIPT = [(5.0, "5"), (-0.5, "-0.5"), (0.0001, "0.0001"), (0.00001, "0.00001"), (1e-6, "0.000001"),
              (1e-7, "1e-7"), (123.456, "123.456"), (1e15, "1000000000000000"), (1e16, "10000000000000000"),
              (1.5e20, "150000000000000000000"), (1e21, "1e+21"), (2.5e-5, "0.000025"), (1921.7168893184655,
              "1921.7168893184655"), (-3e100, "-3e+100"), (0.1 + 0.2, "0.30000000000000004"),
              # repr's exponent form (:func:`canonical._from_exponent`): 1.5e+16, 1.2345678901234567e+20, -1.5e-07, 5e-324
              (1.5e16, "15000000000000000"), (1.2345678901234567e20, "123456789012345670000"), (-1.5e-7, "-1.5e-7"),
              (-2.5e-6, "-0.0000025"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308")]


@pytest.mark.parametrize("x, text", ECMASCRIPT)
def test_numbers_as_ecmascript_writes_them(x, text):
    assert number_text(x) == text


def test_fast_and_digit_placing_paths_agree():
    """Where repr is positional, its text equals the digits placed by ECMA-262's rules; where it has an
    exponent, :func:`canonical._from_exponent` places repr's digits as :func:`canonical._placed` does
    (random doubles)."""
    rng = random.Random(18)
    checked = 0
    for i in range(40000):
        if i % 2:
            x = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))[0]
        else:
            x = rng.uniform(-1, 1) * 10.0 ** rng.randint(-8, 22)
        if x != x or abs(x) == float("inf") or x == 0:
            continue
        assert number_text(x) == canonical._placed(x)
        checked += "e" not in repr(x)
    assert 10000 < checked < 30000  # both paths are checked


def test_strings_and_keys():
    assert canonical_bytes({"é": "\u2028\x7f\x00\t", "b": 1, "a": [True]}) == \
        '{"a":[true],"b":1,"é":"\u2028\x7f\\u0000\\t"}'.encode("utf-8")


@settings(max_examples=3000, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != 0))
def test_exponent_form_as_the_digit_placing_reference(x):
    """Any double, subnormals and the ends of each range included (hypothesis seeks the boundaries)."""
    assert number_text(x) == canonical._placed(x)
    assert float(number_text(x)) == x


@pytest.mark.parametrize("x", [1e16, 9.999999999999998e15, 1e21, 9.999999999999999e20, 1e-7, 9.999999999999999e-8,
                               1e-6, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 2.0 ** 53,
                               -(2.0 ** 70), 1e-5, 1.5e-5])
def test_exponent_form_at_the_boundaries(x):
    assert number_text(x) == canonical._placed(x)


# ------------------------------------------------------------------ canonical_bytes against the walk it replaced

def _reference_canonical_bytes(value) -> bytes:
    """pcf.core.canonical's writer before its exact-type dispatch (commit c748b8c), kept as the
    reference: every value and every refusal of canonical_bytes must be the same."""
    import math
    from json.encoder import encode_basestring

    from pcf.core.errors import CanonicalError

    def number(x: float) -> str:
        if not math.isfinite(x):
            raise CanonicalError(f"{x!r} is not a JSON number; only finite numbers can be declared")
        if x == 0:
            return "0"
        text = repr(x)
        if "e" not in text:
            return text[:-2] if text.endswith(".0") else text
        return canonical._placed(x)

    def write(value, out):
        if value is None:
            out.append("null")
        elif value is True:
            out.append("true")
        elif value is False:
            out.append("false")
        elif isinstance(value, str):
            out.append(encode_basestring(value))
        elif isinstance(value, int):
            if abs(value) > 2 ** 53:
                raise CanonicalError(f"integer {value} is beyond 2**53 and cannot be canonicalised exactly")
            out.append(number(float(value)))
        elif isinstance(value, float):
            out.append(number(value))
        elif isinstance(value, dict):
            for key in value:
                if not isinstance(key, str):
                    raise CanonicalError(f"object key {key!r} is not a string")
            out.append("{")
            if all(key.isascii() for key in value):
                keys = sorted(value)
            else:
                keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
            for i, key in enumerate(keys):
                if i:
                    out.append(",")
                out.append(encode_basestring(key))
                out.append(":")
                write(value[key], out)
            out.append("}")
        elif isinstance(value, (list, tuple)):
            out.append("[")
            for i, item in enumerate(value):
                if i:
                    out.append(",")
                write(item, out)
            out.append("]")
        else:
            raise CanonicalError(f"a {type(value).__name__} is not a JSON value")

    parts: list[str] = []
    write(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(f"text with a lone surrogate cannot be canonicalised ({exc.reason})") from None


AWKWARD_FLOATS = [1e21, 1e-7, 5e-324, -5e-324, -0.0, 0.0, float(2 ** 53), 1e16, 1e-6, 9.999999999999999e20,
                  1.7976931348623157e308, 0.1 + 0.2, -1.5e-7, 123.0]
# astral characters (UTF-16 surrogate pairs D800-DFFF) sort before U+E000-U+FFFF in UTF-16, after them by code point
AWKWARD_TEXT = ["", "a", "\U0001f600", "\U00010000", "\ufff0", "\uffff", "\ue000", "\u00e9", "\x00", "\x1f", "\x7f",
                "\u2028", '"', "\\", "\n\t\r\b\f", "v2.0, x", "1e-07"]
TEXT = st.text(st.sampled_from(sorted(set("".join(AWKWARD_TEXT)))) | st.characters(blacklist_categories=("Cs",)),
               max_size=6) | st.sampled_from(AWKWARD_TEXT)
SCALARS = (st.none() | st.booleans() | st.integers(-2 ** 53, 2 ** 53) | st.sampled_from([2 ** 53, -2 ** 53])
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(AWKWARD_FLOATS) | TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5) | st.lists(inner, max_size=3).map(tuple)
                    | st.dictionaries(TEXT, inner, max_size=5), max_leaves=40)
BAD = st.sampled_from([float("nan"), float("inf"), -float("inf"), 2 ** 53 + 1, -(2 ** 53) - 1, 10 ** 400, "\ud800",
                       "a\udfffb", {1: "x"}, {2: "a", "k": 0, 1: "b"}, {None: 1}, {("t",): 1}, {1, 2}, b"bytes",
                       object()])


@settings(max_examples=1500, deadline=None)
@given(JSON)
def test_canonical_bytes_as_the_reference_writes_them(value):
    assert canonical_bytes(value) == _reference_canonical_bytes(value)


@settings(max_examples=800, deadline=None)
@given(st.recursive(BAD, lambda inner: st.lists(inner | JSON, min_size=1, max_size=4)
                    | st.dictionaries(TEXT, inner | JSON, min_size=1, max_size=4), max_leaves=12))
def test_canonical_bytes_refuses_as_the_reference_does(value):
    from pcf.core.errors import CanonicalError

    try:
        expected = _reference_canonical_bytes(value)
    except CanonicalError as exc:
        with pytest.raises(CanonicalError) as caught:
            canonical_bytes(value)
        assert str(caught.value) == str(exc)
    else:  # a bad value was generated only inside an empty container's place: both write it
        assert canonical_bytes(value) == expected


def test_subclasses_and_key_order_by_utf16():
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    class Name(str):
        pass

    value = {"\uffff": 1, "\U0001f600": 2, Name("k"): [Level.HIGH, Name("v"), True, None]}
    assert canonical_bytes(value) == _reference_canonical_bytes(value) == \
        '{"k":[3,"v",true,null],"\U0001f600":2,"\uffff":1}'.encode("utf-8")


def test_a_float_subclass_is_written_as_its_number():
    """numpy 2's repr of a float64 is ``np.float64(1.5)``: the canonical form (and so a hash or a signature)
    had that text, not JSON. A float subclass is written as the float it is (RFC 8785 3.2.2.3)."""
    import numpy as np

    assert canonical_bytes({"a": np.float64(1.5), "b": [np.float64(2.0), np.float64(1e21), np.float64(1e-7)]}) == \
        b'{"a":1.5,"b":[2,1e+21,1e-7]}'
