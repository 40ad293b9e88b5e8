"""Units of amounts, with pint.

One shared :class:`pint.UnitRegistry` with the units LCA inventories use. Two additions:
``item`` (a counted piece, its own dimension) and ``Wp`` (peak watt: rated power at
standard test conditions, IEC 61215; its own dimension so that it is never mixed with
delivered power). ``tkm`` is tonne-kilometre; ``pkm`` (person-km) and ``vkm`` (vehicle-km)
have their own dimensions. The unit names of Brightway inventories (``kilogram``,
``ton kilometer``, ``square meter``, ...) are understood, and ``ton`` is the metric tonne as
in ecoinvent and bw2io, not pint's US short ton.
"""

from __future__ import annotations

import functools
import math
from functools import lru_cache
from typing import TYPE_CHECKING

from .errors import UnitError

if TYPE_CHECKING:
    import pint


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The pcf unit registry (built once; Pint is imported here, so reading a result file or
    verifying a label never loads it)."""
    pint = _import_pint()
    ureg = pint.UnitRegistry()
    ureg.define("item = [item] = piece")
    ureg.define("Wp = [peak_power] = watt_peak")
    ureg.define("kWp = 1000 * Wp")
    ureg.define("MWp = 1000000 * Wp")
    ureg.define("tkm = tonne * kilometer")
    ureg.define("pkm = [passenger_transport] = person_kilometer")
    ureg.define("vkm = [vehicle_transport] = vehicle_kilometer")
    return ureg


def _import_pint():
    """Import Pint without letting it import Dask: when Dask is installed (the ``dask`` extra)
    Pint imports it to support Dask arrays of quantities, which pcf never makes, and that took a
    third of a second of every footprint. Dask stays importable afterwards (``pcf batch
    --executor dask``); when it was imported before, nothing changes."""
    import sys

    blocked = "dask" not in sys.modules
    if blocked:
        sys.modules["dask"] = None  # `import dask` raises ImportError, find_spec("dask") is None
    try:
        import pint
    finally:
        if blocked and sys.modules.get("dask", 0) is None:
            del sys.modules["dask"]
    return pint


_ALIASES = {"m2": "m**2", "m3": "m**3", "kg km": "kg*km", "t": "tonne", "L": "liter", "l": "liter",
            "unit": "item", "items": "item", "pieces": "item", "kilowatt hour": "kWh",
            # In LCA data a "ton" is a metric tonne (ecoinvent, bw2io's unit names); pint's
            # "ton" would be the US short ton (907.18 kg).
            "ton": "tonne", "tons": "tonne", "metric ton": "tonne",
            # unit names of Brightway / bw2io-normalised inventories (bw2io.units)
            "ton kilometer": "tkm", "metric ton*km": "tkm", "kilogram kilometer": "kg*km",
            "square meter": "m**2", "cubic meter": "m**3", "normal cubic meter": "m**3",
            "standard cubic meter": "m**3", "litre": "liter", "watt hour": "Wh",
            "square meter-year": "m**2*year", "cubic meter-year": "m**3*year", "meter-year": "m*year",
            "kilometer-year": "km*year", "kilogram day": "kg*day",
            "person kilometer": "pkm", "vehicle kilometer": "vkm"}


#: Longest unit string read [characters]: the longest Brightway unit name ("standard cubic
#: meter") has 20; pint's parser is quadratic in the length (16,000 characters take seconds).
MAX_UNIT_LENGTH = 64

_EXAMPLES = "use e.g. kg, t, g, kWh, MJ, tkm, m2, Wp, kWp, item"


def parse_unit(unit: str) -> pint.Unit:
    """Parse a unit string.

    Parameters
    ----------
    unit : str
        e.g. ``kg``, ``t``, ``kWh``, ``MJ``, ``tkm``, ``m2``, ``Wp``, ``kWp``, ``item``; at most
        :data:`MAX_UNIT_LENGTH` characters.

    Raises
    ------
    UnitError
        Not a text, longer than :data:`MAX_UNIT_LENGTH`, or not a unit pint knows (whatever
        way pint's parser fails on it).
    """
    if not isinstance(unit, str):
        raise UnitError(f"a unit is a text such as kg, got {unit!r}")
    text = unit.strip()
    if len(text) > MAX_UNIT_LENGTH:
        raise UnitError(f"the unit {text[:20] + '...'!r} has {len(text):,} characters; a unit has at most "
                        f"{MAX_UNIT_LENGTH} ({_EXAMPLES})")
    return _parse_unit(text)


@lru_cache(maxsize=256)
def _parse_unit(text: str) -> pint.Unit:
    try:
        return registry().Unit(_ALIASES.get(text, text))
    except Exception:  # noqa: BLE001 - pint's parser fails on unexpected text in many ways
        # (UndefinedUnitError, AssertionError for "@" or U+0080, KeyError for "d^0",
        # ZeroDivisionError for "g/0", tokenize.TokenError for "{"): all mean "not a unit"
        raise UnitError(f"unknown unit {text!r} ({_EXAMPLES})") from None


_DIMENSION_NAMES = {
    "[mass]": "mass",
    "[length]": "length",
    "[length] ** 2": "area",
    "[length] ** 3": "volume",
    "[mass] * [length] ** 2 / [time] ** 2": "energy",
    "[mass] * [length] ** 2 / [time] ** 3": "power",
    "[mass] * [length]": "mass x distance (transport)",
    "[item]": "count of items",
    "[peak_power]": "peak power (Wp)",
    "[time]": "time",
}


COMMON_DIMENSIONS = {"kg": "mass", "g": "mass", "t": "mass", "tonne": "mass", "kWh": "energy", "MJ": "energy",
                     "Wh": "energy", "item": "count of items", "m2": "area", "m3": "volume", "l": "volume",
                     "tkm": "mass x distance (transport)", "Wp": "peak power (Wp)", "kWp": "peak power (Wp)"}
"""The dimension names of the units declarations use most, answered without Pint (importing it
takes most of a second: ``pcf export`` of a result converts ``item`` to ``item``). Each is
what :func:`dimension_name` gets from Pint (``tests/test_light_imports.py`` compares)."""


SPELLINGS = {"kilogram": "kg", "gram": "g", "ton": "t", "tons": "t", "metric ton": "t", "kilowatt hour": "kWh",
             "watt hour": "Wh", "megajoule": "MJ", "unit": "item", "items": "item", "piece": "item",
             "pieces": "item", "square meter": "m2", "cubic meter": "m3", "liter": "l", "litre": "l", "L": "l",
             "ton kilometer": "tkm", "metric ton*km": "tkm"}
"""Other spellings of units of :data:`COMMON_DIMENSIONS` (Brightway's unit names, ``kilogram``,
``kilowatt hour``, ...: a background activity's unit), each the very same unit to Pint (factor
exactly 1, ``tests/test_light_imports.py`` compares), so that a model on a Brightway background
is read, converted and reported without importing Pint (most of a second of a warm
``pcf footprint``, issue 18 part 3)."""


def _common(unit: str) -> str | None:
    """The :data:`COMMON_DIMENSIONS` spelling of ``unit`` (itself or one of :data:`SPELLINGS`),
    or None."""
    unit = SPELLINGS.get(unit, unit)
    return unit if unit in COMMON_DIMENSIONS else None


def check_unit(unit: str) -> None:
    """Check that ``unit`` is a unit :func:`parse_unit` reads (the common ones without Pint).

    Raises
    ------
    UnitError
        As :func:`parse_unit`.
    """
    if not (isinstance(unit, str) and _common(unit.strip())):
        parse_unit(unit)


@functools.lru_cache(maxsize=4096)
def dimension_name(unit: str) -> str:
    """Plain name of a unit's dimension, e.g. ``kWh`` -> ``energy``, ``tkm`` -> ``mass x distance (transport)``
    (remembered per unit: a batch asks the same few units for every SKU)."""
    common = _common(unit)
    if common:
        return COMMON_DIMENSIONS[common]
    dim = str(parse_unit(unit).dimensionality)
    return _DIMENSION_NAMES.get(dim, dim)


@functools.lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Factor that converts an amount in ``from_unit`` into ``to_unit`` (remembered per pair of
    units; errors are not).

    Parameters
    ----------
    from_unit, to_unit : str
        Units as accepted by :func:`parse_unit`.

    Returns
    -------
    float
        ``amount[to_unit] = amount[from_unit] * factor`` (e.g. ``t -> kg`` gives 1000,
        ``MJ -> kWh`` gives 1/3.6).

    Raises
    ------
    UnitError
        Unknown unit, the two units are of different dimensions (e.g. kg and kWh), or the
        factor is not a finite non-zero number (``kg**400`` to ``g**400``).
    """
    if _common(from_unit) is not None and _common(from_unit) == _common(to_unit):
        return 1.0  # what Pint gives for a unit to itself (however spelt), without importing it
    pint = _import_pint()

    src, dst = parse_unit(from_unit), parse_unit(to_unit)
    try:
        factor = float(registry().Quantity(1.0, src).to(dst).magnitude)
    except pint.DimensionalityError:
        raise UnitError(
            f"cannot convert {from_unit!r} to {to_unit!r}: {from_unit!r} is {dimension_name(from_unit)}, "
            f"{to_unit!r} is {dimension_name(to_unit)}"
        ) from None
    except (OverflowError, ZeroDivisionError, ValueError):
        factor = math.nan
    if not math.isfinite(factor) or factor == 0:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}: the factor is not a finite, non-zero number")
    return factor
