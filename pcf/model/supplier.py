"""A supplier's footprint as primary data: read a PACT ``ProductFootprint`` for a purchased
component (``inputs: [{supplier_pcf: FILE, amount, unit}]``).

The file is a PACT v3 or v2 ``ProductFootprint`` (the bare object, or the ``{"data": ...}``
body of ``GetFootprint``). :func:`read_supplier_pcf` checks what pcf relies on and returns
the footprint per unit of the supplier's declared unit, split into the ISO 14067:2018 7.3
categories pcf reports:

==========================  ==========================================================
pcf category                PACT v3 (v2)
==========================  ==========================================================
fossil                      ``fossilGhgEmissions`` (incl. land-management fossil)
biogenic_emissions          ``biogenicNonCO2Emissions`` + ``landManagementBiogenicCO2Emissions``
                            (v2 ``otherBiogenicGhgEmissions`` + ``landManagementGhgEmissions``)
biogenic_removals           ``biogenicCO2Uptake`` + ``landManagementBiogenicCO2Removals``
                            (v2 ``biogenicCarbonWithdrawal``)
dluc                        ``landUseChangeGhgEmissions`` (v2 ``dLucGhgEmissions``)
aircraft (part of fossil)   ``aircraftGhgEmissions``
==========================  ==========================================================

The four categories must add up to ``pcfIncludingBiogenicUptake`` (the PACT v3 formula; v2:
``pCfIncludingBiogenic``, else ``pCfExcludingBiogenic + biogenicCarbonWithdrawal``), which is
the figure used in place of the background. v3 values are per ``declaredUnitAmount`` declared
units (v3 data model: "emissions ... are expressed in kgCO2e per 'declared unit'", the
declared unit being amount x unit); v2 values are per one declared unit
(``unitaryProductAmount`` is the count of declared units in the product).

Checks (each a :class:`pcf.core.errors.ExchangeError`): the document is a ``ProductFootprint``
with ``status: Active``; its declared unit is one pcf knows; its boundary is cradle-to-gate
(PACT Methodology v3.0 3.2.3: a PACT PCF covers cradle to gate; a v2 ``assurance`` with
``boundary: Gate-to-Gate`` lacks the upstream and is refused); no technological CO2 capture
or removals (not mapped to ISO 14067 categories); the parts add up. Whether the input's unit
fits is :func:`input_factor`.

Data quality: the supplier's ``primaryDataShare`` [%] becomes the item's primary share
(PACT Methodology v3.0 4.2.2 / Pathfinder Framework v2.0 4.2.2: the PDS of a product is the
emission-weighted share of primary data, and a supplier PCF enters with its own PDS); its DQI
becomes a PEF rating when all four PEF criteria can be read: v2 ratings 1..3 (PACT
Methodology Table 9) map linearly onto PEF 1..5 (``pef = 2 * pact - 1``) with
``reliabilityDQR`` as precision P; v3 gives TeR/GeR/TiR on 1..5 but no precision, so the
rating stays unmapped (the DQI is kept as given).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import sources
from ..core.errors import ExchangeError, UnitError
from ..core.units import conversion_factor, dimension_name

PACT_UNITS: dict[str, str] = {
    "liter": "l",
    "kilogram": "kg",
    "cubic meter": "m3",
    "kilowatt hour": "kWh",
    "megajoule": "MJ",
    "ton kilometer": "tkm",
    "square meter": "m2",
    "piece": "item",
    "hour": "hour",
}
"""PACT declared units (v2 ``declaredUnit``, v3 ``declaredUnitOfMeasurement``) -> pcf units."""

IPCC_REPORT = {"ipcc-2021-gwp100": "AR6", "ipcc-2013-gwp100": "AR5", "ef-3.1-climate-change": "AR6"}
"""pcf method id -> IPCC assessment report of its characterisation factors (EF 3.1 climate
change uses the AR6 GWP100 values: the factors of its EF v3.1 implementation in bw2io equal
those of IPCC 2021 for every gas both characterise, pcf.background.methods)."""


@dataclass(frozen=True)
class SupplierFootprint:
    """A supplier's PACT footprint, per one unit of its declared unit.

    Attributes
    ----------
    path : Path
        The file read.
    sha256 : str
        SHA-256 of the file's bytes (provenance).
    spec : str
        ``pact-v3`` or ``pact-v2``; ``spec_version`` the document's ``specVersion``.
    id, company, company_ids, product_name, product_ids : str / tuple
        What the document says about itself.
    unit : str
        pcf unit of one declared unit (``kg``, ``item``, ``kWh``, ...); ``pact_unit`` its PACT name.
    product_mass_kg : float or None
        Mass of one declared unit [kg], None when not given (or 0: "not relevant").
    fossil, biogenic_emissions, biogenic_removals, dluc, aircraft : float
        [kg CO2e / unit]; the first four sum to ``total``; ``aircraft`` is part of ``fossil``.
    total : float
        ``pcfIncludingBiogenicUptake`` per unit [kg CO2e / unit].
    primary_data_share : float or None
        [0..1], None when the document gives none.
    dqi : dict or None
        The document's DQI as given.
    dqr : dict or None
        PEF rating ``{ter, ger, tir, p, dqr}`` [1..5] when it can be mapped, else None.
    ipcc : tuple of str
        IPCC reports of the characterisation factors (``("AR6",)``).
    reference_period : tuple of str or None
        ``(start, end)`` as given.
    exempted_percent : float or None
        ``exemptedEmissionsPercent`` [%].
    """

    path: Path
    sha256: str
    spec: str
    spec_version: str
    id: str
    company: str
    company_ids: tuple
    product_name: str
    product_ids: tuple
    unit: str
    pact_unit: str
    product_mass_kg: float | None
    fossil: float
    biogenic_emissions: float
    biogenic_removals: float
    dluc: float
    aircraft: float
    total: float
    primary_data_share: float | None
    dqi: dict | None
    dqr: dict | None
    ipcc: tuple
    reference_period: tuple | None
    exempted_percent: float | None
    notes: tuple = field(default=())

    def describe(self) -> str:
        """``supplier_pcf FILE (PACT v3 <id>, <company>: <product>)``."""
        return f"supplier_pcf {self.path.name} ({self.spec.upper().replace('-', ' ')} {self.id}, {self.company}: {self.product_name})"

    def provenance(self) -> dict[str, Any]:
        """What a result records about the document (``provenance.supplier_footprints``)."""
        return {"file": str(self.path), "sha256": self.sha256, "spec": self.spec, "spec_version": self.spec_version,
                "id": self.id, "company": self.company, "company_ids": list(self.company_ids),
                "product": self.product_name, "product_ids": list(self.product_ids),
                "unit": self.unit, "pact_unit": self.pact_unit, "kg_co2e_per_unit": self.total,
                "fossil": self.fossil, "biogenic_emissions": self.biogenic_emissions,
                "biogenic_removals": self.biogenic_removals, "dluc": self.dluc, "aircraft": self.aircraft,
                "primary_data_share": self.primary_data_share, "dqi": self.dqi, "dqr": self.dqr,
                "ipcc": list(self.ipcc), "reference_period": list(self.reference_period) if self.reference_period else None,
                "exempted_percent": self.exempted_percent, "notes": list(self.notes)}


def _number(doc: dict, key: str, where: str, required: bool = False) -> float | None:
    """A PACT decimal (a string in v3 and v2.3, a number in older v2) as a float."""
    raw = doc.get(key)
    if raw is None:
        if required:
            raise ExchangeError(f"{where}{key} is missing")
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise ExchangeError(f"{where}{key} must be a decimal, got {raw!r}")
    try:
        value = float(raw)
    except ValueError:
        raise ExchangeError(f"{where}{key} must be a decimal, got {raw!r}") from None
    if not math.isfinite(value):
        raise ExchangeError(f"{where}{key} must be finite, got {raw!r}")
    return value


def read_supplier_pcf(path: str | Path) -> SupplierFootprint:
    """Read and check a supplier's PACT footprint (see the module docstring).

    A driver: the document (:func:`_read_document`), its status and declared unit, the
    figures of PACT v3 or v2 (:func:`_figures_v3`, :func:`_figures_v2`), their checks
    (:func:`_check_figures`), then every figure per one declared unit.

    Parameters
    ----------
    path : str or Path
        A JSON file with a PACT v3 or v2 ``ProductFootprint`` (or ``{"data": {...}}``).

    Returns
    -------
    SupplierFootprint

    Raises
    ------
    ExchangeError
        Unreadable or not JSON; not a ProductFootprint; status not Active; an unknown declared
        unit; a boundary other than cradle-to-gate; technological CO2 capture or removals;
        parts that do not add up to the total; values of the wrong sign.
    """
    path = Path(path)
    raw, doc = _read_document(path)
    pcf = doc["pcf"]
    v3 = "pcfIncludingBiogenicUptake" in pcf or "pcfExcludingBiogenicUptake" in pcf or "declaredUnitOfMeasurement" in pcf
    spec = "pact-v3" if v3 else "pact-v2"
    status = doc.get("status")
    if status != "Active":
        raise ExchangeError(f"{path.name}: status is {status!r}; only an Active footprint may be used "
                            "(PACT: a Deprecated footprint SHOULD NOT be used for calculations)")
    where = "pcf."
    pact_unit = pcf.get("declaredUnitOfMeasurement" if v3 else "declaredUnit")
    if pact_unit not in PACT_UNITS:
        raise ExchangeError(f"{path.name}: declared unit {pact_unit!r} is not one pcf converts "
                            f"({', '.join(PACT_UNITS)})")
    unit = PACT_UNITS[pact_unit]
    fig = _figures_v3(pcf, path.name) if v3 else _figures_v2(doc, pcf, path.name)
    aircraft = _number(pcf, "aircraftGhgEmissions", where) or 0.0
    _check_figures(fig, aircraft, path.name)
    period = (pcf.get("referencePeriodStart"), pcf.get("referencePeriodEnd"))
    per = 1.0 / fig.amount
    pds, dqi = fig.primary_data_share, fig.dqi
    return SupplierFootprint(
        path=path, sha256=hashlib.sha256(raw).hexdigest(), spec=spec, spec_version=str(doc.get("specVersion", "")),
        id=str(doc.get("id", "")), company=str(doc.get("companyName", "")),
        company_ids=tuple(doc.get("companyIds") or ()), product_name=str(doc.get("productNameCompany", "")),
        product_ids=tuple(doc.get("productIds") or ()), unit=unit, pact_unit=pact_unit,
        product_mass_kg=fig.mass * per if fig.mass else None,
        fossil=fig.fossil * per, biogenic_emissions=fig.biogenic_emissions * per,
        biogenic_removals=fig.biogenic_removals * per, dluc=fig.dluc * per,
        aircraft=aircraft * per, total=fig.total * per,
        primary_data_share=pds / 100 if pds is not None else None, dqi=dqi if isinstance(dqi, dict) else None,
        dqr=fig.dqr, ipcc=tuple(str(x) for x in fig.ipcc), reference_period=period if all(period) else None,
        exempted_percent=_number(pcf, "exemptedEmissionsPercent", where), notes=tuple(fig.notes))


@dataclass
class _Figures:
    """The figures of a PACT footprint as the document gives them, per ``amount`` declared
    units [kg CO2e / amount declared units], before they are checked.

    ``mass`` is the product mass [kg / declared unit]; ``total_key`` names the field (or sum)
    the total came from; ``primary_data_share`` is a percentage [%]; ``dqr`` the v2 data
    quality ratings (None for v3); ``notes`` what pcf did not count.
    """

    amount: float
    mass: float | None
    fossil: float
    biogenic_emissions: float
    biogenic_removals: float
    dluc: float
    total: float
    total_key: str
    ipcc: list
    dqi: Any
    dqr: dict | None
    primary_data_share: float | None
    notes: list[str] = field(default_factory=list)


def _read_document(path: Path) -> tuple[bytes, dict]:
    """The file's bytes and its ``ProductFootprint`` (unwrapped from ``{"data": ...}``).

    Raises
    ------
    ExchangeError
        Unreadable, not JSON, or no ``pcf`` object.
    """
    try:
        raw = sources.read_bytes(path)
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:  # also an integer of more than 4,300 digits
        raise ExchangeError(f"{path.name} is not JSON: {exc}") from None
    except RecursionError:
        raise ExchangeError(f"{path.name} is not JSON this pcf reads: nested too deeply") from None
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict) and "pcf" not in doc:
        doc = doc["data"]
    if not isinstance(doc, dict) or not isinstance(doc.get("pcf"), dict):
        raise ExchangeError(f"{path.name} is not a PACT ProductFootprint (no 'pcf' object)")
    return raw, doc


def _figures_v3(pcf: dict, name: str) -> _Figures:
    """The figures of a PACT v3 ``pcf`` object (per ``declaredUnitAmount`` declared units).

    Raises
    ------
    ExchangeError
        A missing or non-decimal figure, a ``declaredUnitAmount`` that is not positive, or
        technological CO2 capture or removals.
    """
    where = "pcf."
    amount = _number(pcf, "declaredUnitAmount", where, required=True)
    if amount <= 0:
        raise ExchangeError(f"{name}: declaredUnitAmount must be > 0, got {amount}")
    mass = _number(pcf, "productMassPerDeclaredUnit", where)
    for key in ("ccsTechnologicalCO2Capture", "technologicalCO2Removals"):
        if (_number(pcf, key, where) or 0.0) != 0.0:
            raise ExchangeError(f"{name}: {key} is not 0; technological CO2 capture and removals have no "
                                "ISO 14067 category in pcf: ask the supplier for a footprint without them")
    fossil = _number(pcf, "fossilGhgEmissions", where, required=True)
    bio_em = (_number(pcf, "biogenicNonCO2Emissions", where) or 0.0) + \
             (_number(pcf, "landManagementBiogenicCO2Emissions", where) or 0.0)
    bio_rem = (_number(pcf, "biogenicCO2Uptake", where) or 0.0) + \
              (_number(pcf, "landManagementBiogenicCO2Removals", where) or 0.0)
    dluc = _number(pcf, "landUseChangeGhgEmissions", where) or 0.0
    total = _number(pcf, "pcfIncludingBiogenicUptake", where, required=True)
    ipcc = pcf.get("ipccCharacterizationFactors") or []
    return _Figures(amount, mass, fossil, bio_em, bio_rem, dluc, total, "pcfIncludingBiogenicUptake", ipcc,
                    pcf.get("dqi"), None, _number(pcf, "primaryDataShare", where))


def _figures_v2(doc: dict, pcf: dict, name: str) -> _Figures:
    """The figures of a PACT v2 ``pcf`` object (per one declared unit); indirect land-use
    change is noted and not counted.

    Raises
    ------
    ExchangeError
        A missing or non-decimal figure, or a gate-to-gate footprint.
    """
    where = "pcf."
    notes = []
    mass = _number(pcf, "productMassPerDeclaredUnit", where)
    fossil = _number(pcf, "fossilGhgEmissions", where, required=True)
    land = _number(pcf, "landManagementGhgEmissions", where) or 0.0
    bio_em = (_number(pcf, "otherBiogenicGhgEmissions", where) or 0.0) + max(land, 0.0)
    bio_rem = (_number(pcf, "biogenicCarbonWithdrawal", where) or 0.0) + min(land, 0.0)
    dluc = _number(pcf, "dLucGhgEmissions", where) or 0.0
    if (_number(pcf, "iLucGhgEmissions", where) or 0.0) != 0.0:
        notes.append("iLucGhgEmissions not counted (indirect land-use change is outside the ISO 14067 CFP)")
    including = _number(pcf, "pCfIncludingBiogenic", where)
    if including is not None:
        total, total_key = including, "pCfIncludingBiogenic"
    else:
        total = _number(pcf, "pCfExcludingBiogenic", where, required=True) + \
            (_number(pcf, "biogenicCarbonWithdrawal", where) or 0.0)
        total_key = "pCfExcludingBiogenic + biogenicCarbonWithdrawal"
    ipcc = pcf.get("ipccCharacterizationFactorsSources") or (
        [pcf["characterizationFactors"]] if pcf.get("characterizationFactors") else [])
    dqi = pcf.get("dqi")
    dqr = _v2_dqr(dqi)
    pds = _number(pcf, "primaryDataShare", where)
    boundary = (doc.get("pcf", {}).get("assurance") or {}).get("boundary")
    if boundary == "Gate-to-Gate":
        raise ExchangeError(f"{name}: the footprint is gate-to-gate (assurance.boundary); a purchased "
                            "component needs its cradle-to-gate footprint")
    # v2 values are per one declared unit
    return _Figures(1.0, mass, fossil, bio_em, bio_rem, dluc, total, total_key, ipcc, dqi, dqr, pds, notes)


def _check_figures(fig: _Figures, aircraft: float, name: str) -> None:
    """Check the signs of the figures, that the parts add up to the total (rel 1e-6), and the
    primary data share [%].

    Raises
    ------
    ExchangeError
        Negative fossil, land-use change or aircraft emissions; a positive biogenic uptake;
        parts that do not add up; a primary data share outside 0..100.
    """
    fossil, bio_em, bio_rem, dluc, total = fig.fossil, fig.biogenic_emissions, fig.biogenic_removals, fig.dluc, fig.total
    if fossil < 0 or dluc < 0 or aircraft < 0:
        raise ExchangeError(f"{name}: fossilGhgEmissions, land-use change and aircraft emissions must be >= 0")
    if bio_rem > 0:
        raise ExchangeError(f"{name}: biogenic CO2 uptake must be <= 0 (a removal), got {bio_rem}")
    parts = fossil + bio_em + bio_rem + dluc
    if not math.isclose(parts, total, rel_tol=1e-6, abs_tol=1e-9 * max(1.0, abs(fossil))):
        raise ExchangeError(
            f"{name}: the parts do not add up to {fig.total_key} = {total:g}: fossil {fossil:g} + biogenic "
            f"{bio_em:g} + uptake {bio_rem:g} + land-use change {dluc:g} = {parts:g}")
    pds = fig.primary_data_share
    if pds is not None and not 0 <= pds <= 100:
        raise ExchangeError(f"{name}: primaryDataShare must be a percentage 0..100, got {pds:g}")


def _v2_dqr(dqi: Any) -> dict | None:
    """PEF rating from a v2 DQI (1..3 each, PACT Methodology Table 9) when the technological,
    geographical, temporal and reliability ratings are all there: ``pef = 2 * pact - 1``
    (1 -> 1, 2 -> 3, 3 -> 5), reliability as precision P."""
    if not isinstance(dqi, dict):
        return None
    keys = {"ter": "technologicalDQR", "ger": "geographicalDQR", "tir": "temporalDQR", "p": "reliabilityDQR"}
    try:
        parts = {k: 2 * float(dqi[v]) - 1 for k, v in keys.items()}
    except (KeyError, TypeError, ValueError):
        return None
    if not all(1 <= v <= 5 for v in parts.values()):
        return None
    parts["dqr"] = sum(parts.values()) / 4
    return parts


def input_factor(supplier: SupplierFootprint, unit: str) -> float:
    """Supplier units per one ``unit`` of the input [supplier unit / input unit].

    The input's unit converts directly when it has the supplier's dimension (``t`` against
    ``kilogram``, ``item`` against ``piece``); a mass converts to pieces (or any other unit)
    through ``productMassPerDeclaredUnit``.

    Raises
    ------
    UnitError
        The unit is unknown, or of another dimension and the supplier gives no product mass.
    """
    try:
        return conversion_factor(unit, supplier.unit)
    except UnitError:
        if dimension_name(unit) == "mass" and supplier.product_mass_kg:
            return conversion_factor(unit, "kg") / supplier.product_mass_kg
        raise UnitError(f"the supplier footprint {supplier.path.name} is per {supplier.pact_unit} ({supplier.unit}); "
                        f"the input is in {unit!r} ({dimension_name(unit)})"
                        + ("" if supplier.product_mass_kg else " and the document gives no productMassPerDeclaredUnit "
                           "to convert a mass")) from None
