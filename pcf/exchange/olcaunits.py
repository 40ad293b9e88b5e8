"""openLCA units, flow properties and locations for ``pcf export-model --format olca-jsonld``.

openLCA states every amount in a unit of a unit group and a flow property (quantity) of the
flow (olca-schema 2: ``Exchange.unit``, ``Exchange.flowProperty``,
``FlowPropertyFactor``). The export uses openLCA's reference unit groups and flow
properties with their reference ids, so that an openLCA database that has the reference data
(every database openLCA creates does) merges them instead of adding copies. The ids and
conversion factors below are facts of openLCA's reference data, read from the US LCI FY17
JSON-LD export (``../shared/data/uslci/uslci-fy17-json-ld.zip``: ``unit_groups/*.json``,
``flow_properties/*.json``) and the olca-schema examples (``examples/unit_group.json``,
``examples/flow.json``: Energy, MJ, kWh).

``Wp`` (peak watt) has no openLCA reference unit group: it gets a unit group and flow property
of pcf's own (``Units of peak power (pcf)``, ``Peak power (pcf)``; ids uuid5 in
:data:`NAMESPACE`), stated in the zip's README. Any other unit without an openLCA unit here is
refused (:class:`pcf.core.errors.ExchangeError`, naming the unit).

Locations: openLCA's reference location ids are the name-based (MD5, version 3) UUID of the
lower-case location code (Java ``UUID.nameUUIDFromBytes``): ``28840420-4e3d-3522-a930-
8317344a285d`` for ``PL`` in the olca-schema example, and all 11 locations of the US LCI FY17
zip (``GLO``, ``US``, ``CN``, ``RER``, ...) follow that rule (checked when this was written).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from functools import lru_cache

from ..core.errors import ExchangeError, UnitError
from ..core.units import conversion_factor, parse_unit

#: Namespace of every uuid5 that pcf's openLCA export makes (processes, flows, providers, and
#: the peak-power unit group): ``uuid5(NAMESPACE_URL, "urn:pcf:export-model:olca-jsonld")``.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pcf:export-model:olca-jsonld")


def pcf_uuid(*parts: str) -> str:
    """Deterministic id of an exported entity: uuid5 in :data:`NAMESPACE` of ``parts`` joined by
    U+001F (so ``("a b", "c")`` and ``("a", "b c")`` differ)."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))


@dataclass(frozen=True)
class Group:
    """An openLCA unit group with its default flow property.

    Attributes
    ----------
    name, id : str
        Unit group (``Units of mass``, its ``@id``).
    prop, prop_id : str
        Flow property (``Mass``, its ``@id``).
    units : tuple
        ``(name, @id, conversion factor to the reference unit, pint expression)``; the first is
        the reference unit (factor 1).
    """

    name: str
    id: str
    prop: str
    prop_id: str
    units: tuple

    @property
    def ref_unit(self) -> str:
        return self.units[0][0]


GROUPS: tuple[Group, ...] = (
    Group("Units of mass", "93a60a57-a4c8-11da-a746-0800200c9a66", "Mass", "93a60a56-a3c8-11da-a746-0800200b9a66", (
        ("kg", "20aadc24-a391-41cf-b340-3e4529f44bde", 1.0, "kg"),
        ("g", "e1317ffc-7f83-4a85-bc65-4fb229a25cf8", 0.001, "g"),
        ("mg", "b872a063-0500-42b7-9e5d-441642d84417", 1e-06, "mg"),
        ("t", "83192ffa-5990-490b-a23a-b45ca072db6f", 1000.0, "tonne"))),
    Group("Units of energy", "93a60a57-a3c8-11da-a746-0800200c9a66", "Energy", "f6811440-ee37-11de-8a39-0800200c9a66", (
        ("MJ", "52765a6c-3896-43c2-b2f4-c679acf13efe", 1.0, "MJ"),
        ("kWh", "86ad2244-1f0e-4912-af53-7865283103e4", 3.6, "kWh"),
        ("Wh", "fc3604f7-aa93-4aa3-8ae9-8f822874da5f", 0.0036, "Wh"),
        ("MWh", "92e3bd49-8ed5-4885-9db6-fc88c7afcfcb", 3600.0, "MWh"),
        ("kJ", "f4119718-2d50-47fe-9154-cab6fd2d30eb", 0.001, "kJ"),
        ("GJ", "01e58eb9-0aba-4c76-ba0c-03f6f3be1353", 1000.0, "GJ"),
        ("J", "469d61f1-3bc4-4841-8adf-873825c1bc11", 1e-06, "J"))),
    Group("Units of volume", "93a60a57-a3c8-12da-a746-0800200c9a66", "Volume", "93a60a56-a3c8-22da-a746-0800200c9a66", (
        ("m3", "1c3a9695-398d-4b1f-b07e-a8715b610f70", 1.0, "m**3"),
        ("l", "b80a512e-e402-4363-8ad0-7d02dcf4a459", 0.001, "liter"),
        ("ml", "81696a66-6919-4bbb-a3ab-c79b2900de7d", 1e-06, "milliliter"))),
    Group("Units of area", "93a60a57-a3c8-18da-a746-0800200c9a66", "Area", "93a60a56-a3c8-19da-a746-0800200c9a66", (
        ("m2", "3ce61faa-5716-41c1-aef6-b5920054acc9", 1.0, "m**2"),
        ("ha", "debee4d9-bc47-4e35-8624-4957ecb75386", 10000.0, "hectare"),
        ("km2", "b9a011a0-c9bf-459b-b105-2623d1b61ddf", 1000000.0, "km**2"))),
    Group("Units of area*time", "93a60a57-a3c8-20da-a746-0800200c9a66", "Area*time",
          "93a60a56-a3c8-21da-a746-0800200c9a66", (("m2*a", "c7266b67-4ea2-457f-b391-9b94e26e195a", 1.0, "m**2*year"),)),
    Group("Units of volume*time", "93a60a57-a3c8-23da-a746-0800200c9a66", "Volume*time",
          "441238a3-ba09-46ec-b35b-c30cfba746d1", (("m3*a", "ee5f2241-18af-4444-b457-b275660e5a20", 1.0, "m**3*year"),)),
    Group("Units of length", "838aaa22-0117-11db-92e3-0800200c9a66", "Length", "838aaa23-0117-11db-92e3-0800200c9a66", (
        ("m", "3d314eab-ef11-4ff3-a35e-9bc5cd858694", 1.0, "m"),
        ("km", "715ca68e-0ac5-4c4b-b557-fdc36623be88", 1000.0, "km"),
        ("cm", "d018183e-ea8c-4a41-a303-627c9b9b173d", 0.01, "cm"),
        ("mm", "cc44768b-c0ce-4bc9-804a-c59b67d22e39", 0.001, "mm"))),
    Group("Units of mass*length", "838aaa21-0117-11db-92e3-0800200c9a66", "Goods transport (mass*distance)",
          "838aaa20-0117-11db-92e3-0800200c9a66", (
              ("t*km", "0dea4ed8-bb6b-4049-b2b4-b2c413ef2180", 1.0, "tkm"),
              ("kg*km", "a40229e6-7275-42e3-a304-23d590044770", 0.001, "kg*km"))),
    Group("Units of items", "5beb6eed-33a9-47b8-9ede-1dfe8f679159", "Number of items",
          "01846770-4cfe-4a25-8ad9-919d8d378345", (("Item(s)", "6dabe201-aaac-4509-92f0-d00c26cb72ab", 1.0, "item"),)),
    Group("Units of person transport", "11d161f0-37e3-4d49-bf7a-ff4f31a9e5c7", "Person transport",
          "8766e10f-9f41-4db0-8173-ad0d002a5b98", (("p*km", "fe8da65d-f0ea-4496-b13e-1955aaa412d7", 1.0, "pkm"),)),
    Group("Units of vehicle transport", "af16ae7e-3e04-408a-b8ae-5b3666dbe7f9", "Vehicle transport",
          "ecbe0a5d-f397-4b74-993d-32d231e4bcf9", (("v*km", "19a89180-e40c-4f6b-bcd3-d7347566d1e7", 1.0, "vkm"),)),
    Group("Units of radioactivity", "93a60a57-a3c8-16da-a746-0800200c9a66", "Radioactivity",
          "93a60a56-a3c8-17da-a746-0800200c9a66", (
              ("kBq", "e9773595-284e-46dd-9671-5fc9ff406833", 1.0, "kBq"),
              ("Bq", "ac324d87-9961-463a-81a1-099bb0f7d89b", 0.001, "Bq"))),
    Group("Units of time", "af638906-3ec7-4314-8de7-f76039f2dd01", "Duration", "c0447923-0e60-4b3c-97c2-a86dddd9eea5", (
        ("d", "11074cfd-08a4-449b-adad-18ce24a1b275", 1.0, "day"),
        ("h", "227a54d9-44e7-468c-b8bb-f2dd1ae68c7a", 1 / 24, "hour"))),
    # pcf's own: openLCA has no unit group for rated (peak) power of PV modules
    Group("Units of peak power (pcf)", pcf_uuid("unit group", "peak power"), "Peak power (pcf)",
          pcf_uuid("flow property", "peak power"), (
              ("Wp", pcf_uuid("unit", "Wp"), 1.0, "Wp"),
              ("kWp", pcf_uuid("unit", "kWp"), 1000.0, "kWp"),
              ("MWp", pcf_uuid("unit", "MWp"), 1000000.0, "MWp"))),
)
"""The unit groups the export can write, openLCA's reference ones first."""

PCF_GROUPS = frozenset({"Units of peak power (pcf)"})
"""Unit groups pcf defines itself (no openLCA reference unit group exists)."""

#: Unit names of Brightway / bw2io inventories that :func:`pcf.core.units.parse_unit` does not read.
_ALIASES = {"kilo Becquerel": "kBq", "Item(s)": "item", "p*km": "pkm", "v*km": "vkm", "kilowatt hour": "kWh"}


@lru_cache(maxsize=256)
def olca_unit(unit: str) -> tuple[Group, tuple]:
    """The openLCA unit group and unit of a pcf / Brightway unit string.

    Parameters
    ----------
    unit : str
        e.g. ``kg``, ``kilogram``, ``kWh``, ``tkm``, ``ton kilometer``, ``item``, ``Wp``.

    Returns
    -------
    (Group, tuple)
        The group and its unit entry ``(name, @id, factor, pint expression)`` that is the same
        unit (conversion factor 1).

    Raises
    ------
    ExchangeError
        No unit of :data:`GROUPS` is the same unit (the message names it and lists the units
        the export knows).
    """
    try:
        parsed = parse_unit(_ALIASES.get(unit, unit))
    except UnitError:
        parsed = None
    if parsed is not None:
        for group in GROUPS:
            for entry in group.units:
                other = parse_unit(entry[3])
                if other.dimensionality != parsed.dimensionality:
                    continue
                if abs(conversion_factor(_ALIASES.get(unit, unit), entry[3]) - 1.0) < 1e-9:
                    return group, entry
    known = ", ".join(e[0] for g in GROUPS for e in g.units)
    raise ExchangeError(f"unit {unit!r} has no openLCA unit in this export (openLCA reference units: {known}); "
                        "express the amounts in one of them")


def location_id(code: str) -> str:
    """openLCA's id of the location ``code``: the name-based (MD5, version 3) UUID of the
    lower-case code, as Java's ``UUID.nameUUIDFromBytes`` makes it (module docstring)."""
    digest = bytearray(hashlib.md5(code.strip().lower().encode("utf-8")).digest())
    digest[6] = (digest[6] & 0x0F) | 0x30
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))
