"""What the exporters share: figures per declared unit, the declared unit, geography,
reference period, data sources, and decimals as PACT writes them.

Every function reads a :class:`pcf.declaration.Declaration` (a footprint result with its
assessment, docs/result-json.md) and raises :class:`pcf.core.errors.ExchangeError` naming the model
field to add when the result lacks what a format requires. Masses of GHG in results are per
reference flow; the exporters divide by the declared units per reference flow of the format.
The declared figure is only ever :meth:`pcf.declaration.Declaration.declared_value`.
"""

from __future__ import annotations

from ..core import numbers

import math
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..core import vocabulary
from ..core.errors import ExchangeError, UnitError
from ..core.vocabulary import CRADLE_TO_GATE, GHG_REPORTED
from ..declaration import Declaration
from ..lca.result import ExchangeFacts, StageGhg
from ..model.supplier import IPCC_REPORT

SIGNIFICANT_DIGITS = 12
"""Significant digits of exported decimals (rel. rounding error <= 5e-13, far below the float32
storage of Brightway, ~6e-8)."""

PACT_DECLARED_UNITS: dict[str, str] = {
    "mass": "kilogram", "volume": "liter", "energy": "kilowatt hour", "area": "square meter",
    "mass x distance (transport)": "ton kilometer", "count of items": "piece",
}
"""Dimension of a reference flow -> PACT declared unit."""

PACT_TO_PCF_UNIT = {"kilogram": "kg", "liter": "l", "kilowatt hour": "kWh", "square meter": "m2",
                    "ton kilometer": "tkm", "piece": "item"}

UN_REGIONS = {
    "RER": "Europe", "EU": "Europe", "EU27": "Europe", "EU-27": "Europe", "RAS": "Asia", "RAF": "Africa",
    "RNA": "Northern America", "RLA": "Latin America and the Caribbean", "OCE": "Oceania",
}
"""ecoinvent-style region codes -> UN geoscheme regions PACT accepts (EU, a subset of Europe, as Europe)."""
GLOBAL = {"GLO", "RoW", "ROW", "World", "WORLD"}


def decimal(x: float, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A number as a PACT decimal string, ``^[+-]?\\d+(\\.\\d+)?$`` (no exponent), rounded to
    ``digits`` significant digits, e.g. ``2258.01736847`` or ``0.0000012``.

    Raises
    ------
    ExchangeError
        ``x`` is not finite.
    """
    if not math.isfinite(x):
        raise ExchangeError(f"cannot export a non-finite number ({x})")
    d = Decimal(format(float(x), f".{digits}g"))
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def rounded(x: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits (for formats that want JSON numbers)."""
    return float(format(float(x), f".{digits}g"))


def exchange_data(declaration: Declaration) -> ExchangeFacts:
    """The result's ``exchange`` facts (all empty for results written before they existed)."""
    return declaration.result.exchange


def require(declaration: Declaration, key: str, fmt: str, why: str) -> Any:
    """``result.exchange.<key>``, or an :class:`ExchangeError` saying which model field to add."""
    value = getattr(exchange_data(declaration), key)
    if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
        raise ExchangeError(f"{fmt} needs {why}: add exchange.{key.replace('_kg_c', '').replace('_kg', '')} "
                            f"to the model (docs/model-format.md, 'exchange') and compute the result again")
    return value


@dataclass(frozen=True)
class DeclaredUnit:
    """The unit a format declares the footprint in.

    Attributes
    ----------
    unit : str
        The format's name (``piece``, ``kilogram``, ``kilowatt hour``, ...).
    per_reference_flow : float
        Declared units in one reference flow [declared unit / reference flow].
    product_mass_kg : float or None
        Mass of one reference flow without packaging [kg], None when unknown.
    basis : str
        How the unit was chosen (for the comment).
    """

    unit: str
    per_reference_flow: float
    product_mass_kg: float | None
    basis: str


def declared_unit(declaration: Declaration, units: tuple[str, ...]) -> DeclaredUnit:
    """The declared unit of an export: the reference flow's own unit when the format has it
    (``item`` -> ``piece``, ``kg`` -> ``kilogram``, ...), else kilograms of product through
    ``exchange.product_mass``.

    Parameters
    ----------
    units : tuple of str
        Declared units the format accepts (PACT v2 has no ``piece``).

    Raises
    ------
    ExchangeError
        Neither the reference flow's unit nor a mass basis is available.
    """
    from ..core.units import conversion_factor, dimension_name

    ref = declaration.result.product.reference_flow
    mass = exchange_data(declaration).product_mass_kg
    try:
        dim = dimension_name(ref.unit)
    except UnitError:
        dim = None
    name = PACT_DECLARED_UNITS.get(dim)
    if name == "kilogram" and mass is None:
        mass = ref.amount * conversion_factor(ref.unit, "kg")
    if name in units:
        amount = ref.amount * conversion_factor(ref.unit, PACT_TO_PCF_UNIT[name])
        return DeclaredUnit(name, amount, mass, f"the reference flow, {ref.amount:g} {ref.unit}")
    if "kilogram" in units and mass:
        return DeclaredUnit("kilogram", mass, mass, f"the product mass, {mass:g} kg per {ref.amount:g} {ref.unit} "
                                                    "(exchange.product_mass)")
    raise ExchangeError(f"the reference flow is in {ref.unit!r}, which the format cannot declare "
                        f"({', '.join(units)}): add exchange.product_mass to the model so the footprint can be "
                        "declared per kilogram")


@dataclass(frozen=True)
class Figures:
    """The footprint's parts per reference flow [kg CO2e, kg C], as the exchange formats split it.

    ``excluding`` = fossil + dLUC + biogenic non-CO2 (``totals.excluding_biogenic``, PACT v3
    ``pcfExcludingBiogenicUptake``); ``uptake`` = -CO2 of the product's biogenic carbon content
    (PACT v3 ``biogenicCO2Uptake``, <= 0; None when unknown); ``including`` = excluding +
    uptake (PACT v3 ``pcfIncludingBiogenicUptake``); ``iso`` the ISO 14067 CFP.
    """

    fossil: float
    dluc: float
    aircraft: float
    biogenic_co2: float
    biogenic_non_co2: float
    excluding: float
    uptake: float | None
    including: float | None
    iso: float
    biogenic_content_kg_c: float | None
    packaging_biogenic_content_kg_c: float | None
    fossil_content_kg_c: float | None


GATE_STAGES = CRADLE_TO_GATE
"""Stages of a cradle-to-gate footprint (PACT Methodology v3.0 3.2.3: a PACT PCF covers cradle to
gate; distribution after the gate is outbound logistics, reported apart)."""


def stage_sum(declaration: Declaration, stages) -> StageGhg:
    """The ISO 14067 split of some life-cycle stages [kg CO2e, kg CO2 per reference flow], from
    ``ghg_by_stage``: the sum of their :class:`pcf.lca.result.StageGhg`.

    Raises
    ------
    ExchangeError
        The result has no ``ghg_by_stage`` (written by an older pcf): compute it again.
    """
    by_stage = declaration.result.ghg_by_stage
    if not by_stage:
        raise ExchangeError("the result has no ghg_by_stage to split the footprint by stage: compute it again "
                            "with this pcf")
    keys = GHG_REPORTED + ("co2_emissions_kg", "co2_removals_kg")
    return StageGhg(**{k: sum(float(getattr(by_stage[s], k) or 0.0) for s in stages if s in by_stage) for k in keys})


def gate_stages(declaration: Declaration) -> list[str]:
    """The result's stages up to the factory gate (:data:`GATE_STAGES`)."""
    return [s for s in declaration.result.stages if s in GATE_STAGES]


def figures(declaration: Declaration, stages=None) -> Figures:
    """The parts of the footprint the formats report (see :class:`Figures`), of the whole
    result or of some of its life-cycle ``stages``.

    The biogenic carbon content is taken as 0 when the model does not state it and the system
    has no biogenic CO2 flows (a product without biomass: "0 if not applicable"); with
    biogenic flows and no stated content it is unknown (None).

    Raises
    ------
    ExchangeError
        Negative fossil or dLUC emissions (the formats require them >= 0), or the parts do not
        add up to the result's ``totals.excluding_biogenic``.
    """
    r = declaration.result
    whole = stages is None or set(stages) >= set(r.stages)
    bio = r.biogenic_carbon
    if whole:
        ghg = r.ghg
        co2 = float(bio.co2_emissions_kg or 0.0)
    else:
        ghg = stage_sum(declaration, stages)
        co2 = ghg.co2_emissions_kg
    fossil, dluc = float(ghg.fossil), float(ghg.dluc)
    non_co2 = float(ghg.biogenic_emissions) - co2
    scale = max(abs(r.total_kg_co2e), abs(fossil), 1e-12)
    if abs(non_co2) < 1e-9 * scale:
        non_co2 = 0.0
    for name, value in (("fossil GHG emissions", fossil), ("dLUC emissions", dluc), ("biogenic non-CO2 emissions", non_co2)):
        if value < -1e-9 * scale:
            raise ExchangeError(f"{name} are negative ({value:g} kg CO2e per reference flow); the exchange formats "
                                "require them >= 0")
    fossil, dluc, non_co2 = max(fossil, 0.0), max(dluc, 0.0), max(non_co2, 0.0)
    excluding = fossil + dluc + non_co2
    stated = r.totals.excluding_biogenic if whole and r.totals is not None else None
    if stated is not None and not math.isclose(stated, excluding, rel_tol=1e-6, abs_tol=1e-9 * scale):
        raise ExchangeError(f"the parts ({excluding:g}) do not add up to totals.excluding_biogenic ({stated:g}); "
                            "please report this")
    content = bio.content_product_kg_c
    no_biomass = float(bio.co2_emissions_kg or 0.0) == 0.0 and float(bio.co2_removals_kg or 0.0) == 0.0
    if content is None and no_biomass:
        content = 0.0
    packaging = bio.content_packaging_kg_c
    uptake = None if content is None else -float(content) * float(bio.content_co2_per_c or 44.009 / 12.011)
    return Figures(fossil=fossil, dluc=dluc, aircraft=max(float(ghg.aircraft or 0.0), 0.0), biogenic_co2=co2,
                   biogenic_non_co2=non_co2, excluding=excluding, uptake=uptake,
                   including=None if uptake is None else excluding + uptake,
                   iso=fossil + dluc + float(ghg.biogenic_emissions) + float(ghg.biogenic_removals),
                   biogenic_content_kg_c=content, packaging_biogenic_content_kg_c=packaging,
                   fossil_content_kg_c=exchange_data(declaration).fossil_carbon_content_kg_c)


def footprint_id(declaration: Declaration, fmt: str) -> str:
    """A stable UUID for a result in a format: the same result file always gives the same id
    (UUID v5 over model hash, scenario, method, creation time and format); a new calculation
    gives a new one, as PACT v3 asks of any change."""
    r = declaration.result
    scenario = (r.scenario.name if r.scenario is not None else None) or ""
    text = "|".join([r.product.id, r.model_sha256, scenario, r.method, r.created_at, fmt])
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:pcf:footprint:" + text))


def timestamp(text: str | None) -> str:
    """An ISO date or date-time as ``YYYY-MM-DDThh:mm:ssZ`` (UTC)."""
    from datetime import date, datetime, timezone

    if not text:
        raise ExchangeError("a date is missing")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def reference_period(declaration: Declaration, fmt: str) -> tuple[str, str]:
    """``(start, end)`` of ``exchange.reference_period`` as UTC date-times."""
    period = require(declaration, "reference_period", fmt, "the reference period of the activity data")
    return timestamp(period["start"]), timestamp(period["end"])


def geography(declaration: Declaration) -> dict[str, str]:
    """PACT geography fields of the result's ``exchange.geography``: ``{}`` (global),
    ``{geographyCountry: CN}``, ``{geographyCountrySubdivision: CN-JS}`` or
    ``{geographyRegionOrSubregion: Europe}``. A pcf location such as ``CN-east`` (a grid region,
    not an ISO 3166-2 code) is declared as its country."""
    code = (exchange_data(declaration).geography or "").strip()
    if not code or code in GLOBAL:
        return {}
    if code in UN_REGIONS:
        return {"geographyRegionOrSubregion": UN_REGIONS[code]}
    if code in UN_REGIONS.values():
        return {"geographyRegionOrSubregion": code}
    if re.fullmatch(r"[A-Z]{2}-[A-Z0-9]{1,3}", code):
        return {"geographyCountrySubdivision": code}
    if re.fullmatch(r"[A-Z]{2}(-.*)?", code):
        return {"geographyCountry": code[:2]}
    raise ExchangeError(f"geography {code!r} is neither an ISO 3166 code nor a UN region: set exchange.geography "
                        "(e.g. CN, CN-JS, Europe)")


def ipcc_reports(declaration: Declaration) -> list[str]:
    """IPCC reports of the characterisation factors: the method's, plus those of supplier
    footprints read as inputs (PACT: "include the set of all characterization factors used")."""
    r = declaration.result
    reports = {IPCC_REPORT[r.method]} if r.method in IPCC_REPORT else set()
    for sup in r.provenance.supplier_footprints:
        reports.update(sup.get("ipcc") or [])
    if not reports:
        raise ExchangeError(f"method {r.method!r} is not an IPCC GWP100 method; PACT asks for "
                            "ipcc-2021-gwp100 (AR6)")
    return sorted(reports)


def secondary_sources(declaration: Declaration) -> list[dict[str, str]]:
    """``[{name, version}]`` of the secondary databases the result drew on
    (``provenance.databases`` without supplier footprints), [] when every item is primary."""
    r = declaration.result
    items = r.data_quality.items if r.data_quality is not None else ()
    if items and all(i.emission_factor == "primary" for i in items if i.kind != "direct"):
        return []
    prov = r.provenance
    out = []
    for db in prov.databases:
        if db.get("kind") == "supplier":
            continue
        name = db["database"] if not db.get("source") else f"{db['database']} ({db['source']})"
        version = prov.background_version if db["database"] == prov.background_database else None
        version = version or (f"sha256:{db['sha256'][:12]}" if db.get("sha256") else "unversioned")
        out.append({"name": name, "version": version})
    return out


STAGE_NAMES = {stage: en.lower() for stage, (_zh, en) in vocabulary.STAGE_NAMES.items()}
"""Stage names in running English text (``raw material acquisition``)."""


def boundary_description(declaration: Declaration, stages=None) -> str:
    """Stages with their share of the ISO 14067 total and their largest processes, for
    ``boundaryProcessesDescription``; only ``stages`` when given (a cradle-to-gate export of a
    longer study says what it leaves out)."""
    r = declaration.result
    total = r.total_kg_co2e
    study = r.study
    shown = [s for s in r.stages if stages is None or s in stages]
    left = [s for s in r.stages if s not in shown]
    boundary = study.boundary
    if left:
        boundary = (f"cradle-to-gate part of a {boundary} study (without "
                    + ", ".join(STAGE_NAMES.get(s, s) for s in left) + ")")
    parts = [f"{boundary[:1].upper()}{boundary[1:]} ({study.standard}"
             + (f", PCR {study.pcr}" if study.pcr else "") + ")."]
    for stage in shown:
        kg = r.stages[stage]
        names = []
        for c in r.contributions:
            if c.stage == stage and c.name and c.name not in names:
                names.append(c.name)
            if len(names) == 3:
                break
        share = f"{100 * kg / total:.1f} %" if total else "-"
        parts.append(f"{STAGE_NAMES.get(stage, stage).capitalize()} ({share}): {'; '.join(names) or 'no burdens'}.")
    return " ".join(parts)


@dataclass(frozen=True)
class Exemption:
    """The inputs cut off from the exported stages (ISO 14067:2018 6.3.4.3) as the formats'
    ``exemptedEmissionsPercent`` and ``exemptedEmissionsDescription``.

    Attributes
    ----------
    percent : float
        The emissions of the excluded inputs estimated from their proxies, as a percentage of
        the exported footprint (the ISO 14067 total of the exported stages) [%]. It is a lower
        bound when ``not_estimated`` > 0: those exclusions have no estimate, and pcf has no upper
        bound for them either (no proxy, no factor), so their share is unknown and not in it.
    description : str
        What was excluded, the estimate, and, when ``not_estimated`` > 0, that ``percent`` is a
        lower bound and why.
    excluded : int
        Excluded inputs of the exported stages.
    not_estimated : int
        Of them, those without an estimate (no proxy).
    """

    percent: float
    description: str
    excluded: int
    not_estimated: int


def exempted(declaration: Declaration, stages=None) -> Exemption:
    """The cut-off of the exported ``stages`` (all when None) as :class:`Exemption`.

    An excluded input belongs to the stage of its process (``product_system``; an input of a
    process whose stage is not recorded counts in every export). Its estimate is the result's
    ``cut_off[].kg_co2e_estimate`` (the proxy's factor times the excluded amount [kg CO2e per
    reference flow]); the percentage is the sum of the estimates over the ISO 14067 total of the
    exported stages, the basis of pcf's cut-off criteria (``cut_off_summary.estimated_share``,
    ISO 14067:2018 6.3.4.3). PACT defines the field as "the percentage of emissions excluded from
    the PCF" (Technical Specifications v3.0, ``CarbonFootprint.exemptedEmissionsPercent``; v2.3:
    "of the cradle to gate PCF"): an exclusion without estimate cannot be counted, so the figure
    is then a lower bound and the description says so and how many exclusions are unknown.
    """
    r = declaration.result
    stage_of = {p.id: p.stage for p in r.product_system.processes} if r.product_system is not None else {}
    stage_of.update({c.process: c.stage for c in r.contributions if c.process not in stage_of})
    wanted = None if stages is None else set(stages)
    items = [i for i in r.cut_off if wanted is None or stage_of.get(i.process) in wanted or i.process not in stage_of]
    if not items:
        later = len(r.cut_off)
        text = (f"No inputs excluded from the exported stages ({later} excluded from later stages, which this "
                "footprint does not cover)." if later else "No inputs excluded.")
        return Exemption(0.0, text, 0, 0)
    estimated = sum(float(i.kg_co2e_estimate) for i in items if i.kg_co2e_estimate is not None)
    missing = sum(1 for i in items if i.kg_co2e_estimate is None)
    base = figures(declaration, stages).iso if stages is not None else r.total_kg_co2e
    percent = max(100 * estimated / base, 0.0) if base > 0 else 0.0
    names = sorted({i.name for i in items})
    shown = "; ".join(names[:8]) + (f"; and {len(names) - 8} more" if len(names) > 8 else "")
    text = (f"{len(items)} inputs excluded (cut-off, ISO 14067:2018 6.3.4.3): {shown}. "
            f"{len(items) - missing} of them estimated from proxies at {numbers.figure(estimated)} kg CO2e per reference flow, "
            f"{percent:.2f} % of the footprint.")
    if missing:
        text += (f" {missing} exclusions have no estimate (no proxy, no factor): their emissions are unknown, so "
                 f"the exempted percentage {percent:.2f} is a lower bound, not the share of all exclusions; pcf has no "
                 "upper bound for them.")
    return Exemption(percent, text, len(items), missing)


DQR_PEF_TO_1_3 = "(PEF + 1) / 2"
"""The mapping of a PEF data-quality rating (1 best .. 5 worst) onto the 1..3 scale (1 good, 2 fair,
3 poor) of PACT v2 and Catena-X 7.0.0: linear, end to end (1 -> 1, 3 -> 2, 5 -> 3): see
:func:`dqr_1_to_3`."""


def dqr_1_to_3(pef: float) -> float:
    """A PEF data-quality rating on the 1..3 scale of PACT v2.3 / Catena-X ``io.catenax.pcf``
    7.0.0: ``(pef + 1) / 2`` (:data:`DQR_PEF_TO_1_3`), rounded to 4 decimals.

    pcf rates data quality as PEF does (TeR, GeR, TiR, P on 1 = very good .. 5 = very poor;
    Commission Recommendation (EU) 2021/2279 Annex I 4.6.5). PACT v2.3 and Catena-X 7.0.0 rate
    on 1 = good .. 3 = poor (PACT Methodology v2 Table 9; ``DataQualityIndicators``: "MUST be
    between 1 and 3 inclusive"; io.catenax.pcf 7.0.0 ``DqiNumberTrait`` minimum 1, maximum 3).
    Neither document gives a conversion from the PEF scale: this linear map of the ends onto the
    ends (1 -> 1, 3 -> 2, 5 -> 3) is pcf's choice, the one place it is made. PACT v3.0 and
    Catena-X 8.0.0 / 9.0.0 rate on 1..5 themselves and take the PEF rating unchanged.

    Raises
    ------
    ExchangeError
        ``pef`` is outside 1..5.
    """
    if not 1.0 <= pef <= 5.0:
        raise ExchangeError(f"data-quality rating {pef!r} is outside the PEF scale 1..5")
    return round((pef + 1.0) / 2.0, 4)


def allocation_description(declaration: Declaration) -> str:
    """Allocation of every multi-output process, or that there is none (ISO 14067:2018 6.4.6)."""
    rows = declaration.result.allocation
    if not rows:
        return "No multi-output processes in the foreground: no allocation (background data as published)."
    return " ".join(f"{a.name}: {a.method.replace('_', ' ')}" + (f" ({a.justification})" if a.justification else "")
                    + "." for a in rows)


@dataclass(frozen=True)
class Basis:
    """What every export reads first from a result.

    Attributes
    ----------
    fmt : str
        Format name for error messages, e.g. ``PACT v2``.
    unit : DeclaredUnit
    gate : list of str
        Model stages up to the factory gate.
    figures : Figures
        Cradle-to-gate figures [kg CO2e / reference flow].
    exchange : ExchangeFacts
        The model's ``exchange:`` section.
    company : dict
        ``{name, ids}``.
    start, end : str
        Reference period (RFC 3339).
    fossil_carbon_kg_c : float
        Fossil carbon content of the product [kg C / reference flow].
    cpc : str or None
        UN CPC code (only when asked for).
    packaging_included : bool or None
        Whether packaging emissions are included (only when asked for).
    """

    fmt: str
    unit: DeclaredUnit
    gate: list
    figures: Figures
    exchange: ExchangeFacts
    company: dict
    start: str
    end: str
    fossil_carbon_kg_c: float
    cpc: str | None = None
    packaging_included: bool | None = None


def basis(declaration: Declaration, fmt: str, units: tuple[str, ...], cpc_field: str | None = None) -> Basis:
    """Read the fields every format needs (and, with ``cpc_field``, the CPC code and the
    packaging statement, which PACT v2 and Catena-X require).

    Raises
    ------
    ExchangeError
        A required ``exchange:`` item is missing (the message names it), or the declared unit
        has no equivalent in ``units``.
    """
    unit = declared_unit(declaration, units)  # checks in this order, so the first missing item is named first
    gate = gate_stages(declaration)
    figs = figures(declaration, gate)
    ex = exchange_data(declaration)
    who = company(declaration, fmt)
    start, end = reference_period(declaration, fmt)
    fossil_c = require(declaration, "fossil_carbon_content_kg_c", fmt, "the fossil carbon content of the product [kg C]")
    cpc = packaging = None
    if cpc_field is not None:
        cpc = require(declaration, "cpc", fmt, f"the UN CPC code of the product ({cpc_field})")
        packaging = ex.packaging_included
        if packaging is None:
            require(declaration, "packaging_included", fmt, "whether packaging emissions are included")
    return Basis(fmt, unit, gate, figs, ex, who, start, end, fossil_c, cpc, packaging)


def company(declaration: Declaration, fmt: str) -> dict:
    """``exchange.company`` (``{name, ids}``) or an error saying to add it."""
    return require(declaration, "company", fmt, "the data owner (company name and URN ids)")


PACT_URN_DOMAIN = re.compile(r"^urn:pact:((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}):", re.IGNORECASE)
"""A PACT custom URN ``urn:pact:$domain-of-issuer$:...`` (its domain, RFC 1035)."""


def product_ids(declaration: Declaration) -> list[str]:
    """``productIds``: ``exchange.product_ids``, else a URN made from the model's product id as
    the PACT Technical Specifications v3.0 recommend ("Product Identifier URN's"; v2.3 the same):
    no registered namespace applies to a company's own product code, so the custom form
    ``urn:pact:$domain-of-issuer$:supplier-id:$id$`` (an id created by the data owner) with the
    domain of the data owner's first ``urn:pact:<domain>:...`` company id; without such an id the
    domain is unknown and the id is a name-based UUID URN (RFC 9562 ``urn:uuid:``, an IANA-registered
    namespace: the spec's first choice), UUID v5 of the company ids and the product id, stable
    across exports. Characters outside RFC 8141's NSS set are percent-encoded.
    """
    from urllib.parse import quote

    ids = list(exchange_data(declaration).product_ids)
    if ids:
        return ids
    product = declaration.result.product.id
    company = exchange_data(declaration).company or {}
    for cid in company.get("ids") or ():
        m = PACT_URN_DOMAIN.match(cid)
        if m:
            return [f"urn:pact:{m.group(1).lower()}:supplier-id:{quote(product, safe=URN_NSS_SAFE)}"]
    name = "urn:pcf:product|" + "|".join(company.get("ids") or ()) + "|" + product
    return [f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"]


URN_NSS_SAFE = "-._~!$&'()*+,;=:@/"
"""Characters RFC 8141 allows unencoded in a URN's namespace-specific string (besides letters and digits)."""


def product_description(declaration: Declaration) -> str:
    """The product's name, the model's declared unit and ``exchange.description``."""
    product = declaration.result.product
    text = product.name
    du = product.declared_unit
    if du is not None:
        text += (f". Declared unit of the study: {du.unit}"
                 + (f" ({du.description})" if du.description else "")
                 + f", {numbers.amount(du.per_reference_flow)} per {numbers.amount(product.reference_flow.amount)} "
                   f"{product.reference_flow.unit}")
    extra = exchange_data(declaration).description
    return text + (f". {extra}" if extra else "")


def comment(declaration: Declaration, unit: DeclaredUnit, extra: list[str] | None = None) -> str:
    """How the figures were made and how they relate to the study's declared figure
    (:meth:`pcf.declaration.Declaration.declared_value` per declared unit)."""
    r = declaration.result
    product = r.product
    parts = [f"Calculated with pcf {r.software_version} on Brightway "
             f"(method {r.method}, background {r.background}); "
             f"declared per {unit.unit} ({unit.basis})."]
    per = declaration.declared_value("declared_unit") if r.totals is not None else None
    du = product.declared_unit
    if per is not None and du is not None:
        parts.append(f"The study declares {numbers.figure(per)} kg CO2e per {du.unit}"
                     + (f" ({du.description})" if du.description else "") + ".")
    parts.append(f"ISO 14067 CFP (biogenic CO2 +1/-1) {numbers.figure(r.total_kg_co2e)} kg CO2e per "
                 f"{numbers.amount(product.reference_flow.amount)} {product.reference_flow.unit}.")
    scenario = r.scenario.name if r.scenario is not None else None
    if scenario:
        parts.append(f"Scenario {scenario!r} of the model.")
    return " ".join(parts + (extra or []))
