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
