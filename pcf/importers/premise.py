"""Import a Brightway Excel foreground (premise format) into a ``pcf-model/1`` model.

The inventories of the premise project (``../shared/data/premise/*.xlsx``) are foreground
activities whose leaf inputs name **ecoinvent** activities. pcf cannot ship ecoinvent, so each
such external input is linked through ``databases/ecoinvent-links.csv`` to an activity of the
open default background (``databases/open-default.csv``), with a conversion factor and a
note when the link is a proxy. What cannot be linked is cut off, listed in the model's
``excluded`` entries and in a link report with its mass and an estimate of its GHG share,
so that the cut-off decision (ISO 14067:2018 6.3.4.3) is explicit.

Reference: ``docs/foreground-import.md`` (link table format, linking rules, mass-share rule).

Glossary
--------
external input
    A technosphere exchange whose provider is not defined in the workbook (an ecoinvent
    activity in premise files).
internal activity
    An activity defined in the workbook; it becomes a foreground ``process``.
mass basis
    The technosphere inputs of an activity in mass units [kg], excluding waste sent to
    treatment (negative amounts), processing services sold per kg of material processed
    (link-table ``match = service``) and process water (``match = water``).
linked mass share [-]
    ``sum(m_i * f_i) / sum(m_i)`` over the mass basis of an activity, where ``f_i`` is 1 for
    an input linked to the background, 0 for an unlinked one and, recursively, the linked
    mass share of the internal activity for an internal input.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..core.errors import PCFError, SourceError, UnitError
from ..core.files import write_atomic
from ..core.shipped import shipped
from ..core.units import conversion_factor, parse_unit
from ..core.vocabulary import STAGES
from ..core.yamlsrc import plain_is_text
from ..model import load_model

REPO = Path(__file__).resolve().parent.parent.parent
LINKS = shipped("databases") / "ecoinvent-links.csv"
OPEN_DEFAULT = shipped("databases") / "open-default.csv"

#: An internal activity whose linked mass share is below this is replaced by its link-table
#: link (if it has one) under ``internal="auto"``.
AUTO_LINK_THRESHOLD = 0.95

LINK_COLUMNS = ("ecoinvent_name", "reference_product", "location", "open_default_key", "factor",
                "factor_unit", "match", "note")
#: ``match`` values: linked ones, then explicit decisions that leave the input unlinked.
LINKED_MATCHES = ("exact", "proxy")
NONMASS_MATCHES = ("service", "water")
MATCHES = LINKED_MATCHES + NONMASS_MATCHES + ("cut-off",)


#: IPCC AR6 GWP100 [kg CO2e / kg gas] for the screening estimates of the link report only
#: (IPCC 2021 WG1 Table 7.SM.7); the footprint itself is computed by Brightway.
GWP_AR6 = {
    "co2_fossil": 1.0, "co2e_unsplit": 1.0, "co2_biogenic": 1.0, "co2_dluc": 1.0,
    "ch4_fossil": 29.8, "ch4_biogenic": 27.0, "n2o": 273.0, "sf6": 25200.0, "nf3": 17400.0,
    "cf4": 7380.0, "c2f6": 12400.0,
}
#: biosphere3 air-flow name (lower case) -> (model substance, origin, AR6 GWP100).
GHG_FLOWS = {
    "carbon dioxide, fossil": ("carbon dioxide", "fossil", 1.0),
    "carbon dioxide, non-fossil": ("carbon dioxide", "biogenic", 1.0),
    "carbon dioxide, from soil or biomass stock": ("carbon dioxide", "land_use", 1.0),
    "methane, fossil": ("methane", "fossil", 29.8),
    "methane, non-fossil": ("methane", "biogenic", 27.0),
    "methane, from soil or biomass stock": ("methane", "land_use", 29.8),
    "dinitrogen monoxide": ("dinitrogen monoxide", "fossil", 273.0),
    "sulfur hexafluoride": ("sulfur hexafluoride", "fossil", 25200.0),
    "nitrogen fluoride": ("nitrogen fluoride", "fossil", 17400.0),
    "methane, tetrafluoro-, r-14": ("methane, tetrafluoro-, r-14", "fossil", 7380.0),
    "ethane, hexafluoro-, hfc-116": ("ethane, hexafluoro-, hfc-116", "fossil", 12400.0),
}
#: other halogenated GHGs (HFCs, PFCs, CFCs, HCFCs, halons) are passed on by name.
_OTHER_GHG = re.compile(r"\b(HFC|HCFC|CFC|PFC|halon)\b|fluoro", re.IGNORECASE)


class LinkTableError(SourceError):
    """``databases/ecoinvent-links.csv`` (or another link table) is invalid at ``file:line``."""


class ForegroundImportError(SourceError):
    """A Brightway Excel foreground cannot be imported (``file`` or ``file:row``)."""


# --------------------------------------------------------------------------------------------
# link table


@dataclass(frozen=True)
class Link:
    """One row of the link table.

    Attributes
    ----------
    ecoinvent_name, reference_product, location : str
        The ecoinvent activity matched; ``reference_product`` and ``location`` may be ``*``.
    key : str or None
        open-default key (None for ``service``, ``water`` and ``cut-off`` rows).
    factor : float or None
        [open-default unit / ecoinvent unit] after ``factor_unit`` conversion: the amount in
        the ecoinvent unit times ``factor`` is the amount in ``unit``.
    unit : str or None
        The open-default activity's unit.
    from_unit : str or None
        The ecoinvent-side unit of ``factor_unit`` (an exchange's unit converts to it).
    match : str
        ``exact``, ``proxy``, ``service``, ``water`` or ``cut-off``.
    note : str
        Why, and the arithmetic of the factor.
    line : int
        Line in the table.
    """

    ecoinvent_name: str
    reference_product: str
    location: str
    key: str | None
    factor: float | None
    unit: str | None
    from_unit: str | None
    match: str
    note: str
    line: int

    @property
    def linked(self) -> bool:
        return self.match in LINKED_MATCHES


def _norm(text) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


@dataclass
class OpenDefaultRow:
    key: str
    unit: str
    kg_co2e: float  # AR6 GWP100 screening value [kg CO2e / unit]


def read_open_default(path: str | Path = OPEN_DEFAULT) -> dict[str, OpenDefaultRow]:
    """Keys, units and an AR6 screening intensity [kg CO2e / unit] of the open-default table."""
    rows: dict[str, OpenDefaultRow] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            key = (rec.get("key") or "").strip()
            if not key:
                continue
            total = 0.0
            for col, gwp in GWP_AR6.items():
                cell = (rec.get(col) or "").strip()
                if cell:
                    try:
                        total += float(cell) * gwp
                    except ValueError:
                        pass
            rows[key] = OpenDefaultRow(key, (rec.get("unit") or "").strip(), total)
    return rows


@dataclass
class LinkTable:
    """The link table, indexed for lookup. Build it with :func:`load_links`."""

    path: Path
    links: list[Link]
    background: dict[str, OpenDefaultRow]

    def find(self, name: str, reference_product: str | None, location: str | None) -> Link | None:
        """The most specific row for an ecoinvent activity, or None.

        Name must match (case and spacing ignored); a row's ``reference_product`` and
        ``location`` match the same value or ``*``. Specific values beat ``*`` (reference
        product first, then location).
        """
        n, rp, loc = _norm(name), _norm(reference_product), _norm(location)
        best, best_score = None, -1
        for link in self.links:
            if _norm(link.ecoinvent_name) != n:
                continue
            score = 0
            if link.reference_product != "*":
                if _norm(link.reference_product) != rp:
                    continue
                score += 2
            if link.location != "*":
                if _norm(link.location) != loc:
                    continue
                score += 1
            if score > best_score:
                best, best_score = link, score
        return best


def load_links(path: str | Path = LINKS, open_default: str | Path = OPEN_DEFAULT) -> LinkTable:
    """Read and validate a link table.

    Parameters
    ----------
    path : str or Path
        CSV with the columns of ``LINK_COLUMNS`` (docs/foreground-import.md).
    open_default : str or Path
        The open-default table whose keys the links name.

    Returns
    -------
    LinkTable

    Raises
    ------
    LinkTableError
        ``file:line: message`` for a missing column, an unknown ``match``, an
        ``open_default_key`` not in the open default, a factor that is not a positive
        finite number, a ``factor_unit`` that is not ``<open-default unit>/<ecoinvent unit>``
        with the key's dimension, a proxy without a note, or a duplicate row.
    """
    path = Path(path)
    background = read_open_default(open_default)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LinkTableError(path, None, f"cannot read the link table: {exc.strerror}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise LinkTableError(path, 1, f"empty link table; the header is {','.join(LINK_COLUMNS)}") from None
    missing = [c for c in LINK_COLUMNS if c not in header]
    if missing:
        raise LinkTableError(path, 1, f"missing column(s) {', '.join(missing)}; the header is {','.join(LINK_COLUMNS)}")
    links: list[Link] = []
    seen: dict[tuple, int] = {}
    start = reader.line_num
    for values in reader:
        line = start + 1
        start = reader.line_num
        if not any(v.strip() for v in values):
            continue
        rec = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)}

        def fail(msg: str) -> LinkTableError:
            return LinkTableError(path, line, msg)

        name = rec["ecoinvent_name"]
        if not name:
            raise fail("ecoinvent_name is empty")
        rp, loc = rec["reference_product"] or "*", rec["location"] or "*"
        match = rec["match"]
        if match not in MATCHES:
            raise fail(f"match {match!r} is not one of {', '.join(MATCHES)}")
        note = rec["note"]
        ident = (_norm(name), _norm(rp), _norm(loc))
        if ident in seen:
            raise fail(f"duplicate row for ({name!r}, {rp!r}, {loc!r}); first on line {seen[ident]}")
        seen[ident] = line
        key = rec["open_default_key"] or None
        if match in LINKED_MATCHES:
            if key is None:
                raise fail(f"a {match} link needs an open_default_key")
            if key not in background:
                raise fail(f"open_default_key {key!r} is not a key of {Path(open_default).name}; "
                           "link only to existing rows (or add the row there first)")
            try:
                factor = float(rec["factor"])
            except ValueError:
                raise fail(f"factor {rec['factor']!r} is not a number") from None
            if not math.isfinite(factor) or factor <= 0:
                raise fail(f"factor must be a positive finite number, got {rec['factor']!r}")
            parts = rec["factor_unit"].split("/")
            if len(parts) != 2 or not all(p.strip() for p in parts):
                raise fail(f"factor_unit {rec['factor_unit']!r} must read '<open-default unit>/<ecoinvent unit>', e.g. kg/kg")
            to_unit, from_unit = (p.strip() for p in parts)
            od_unit = background[key].unit
            try:
                parse_unit(from_unit)
                factor *= conversion_factor(to_unit, od_unit)
            except UnitError as exc:
                raise fail(f"factor_unit {rec['factor_unit']!r} does not fit {key!r} (unit {od_unit}): {exc}") from None
            if match == "proxy" and not note:
                raise fail("a proxy link must say in 'note' what it stands in for and why")
            links.append(Link(name, rp, loc, key, factor, od_unit, from_unit, match, note, line))
        else:
            if key:
                raise fail(f"a {match!r} row leaves the input unlinked; remove open_default_key {key!r}")
            if not note:
                raise fail(f"a {match!r} row must give the reason in 'note'")
            links.append(Link(name, rp, loc, None, None, None, None, match, note, line))
    return LinkTable(path, links, background)


# --------------------------------------------------------------------------------------------
# workbook


@dataclass
class Exchange:
    """One row of an activity's ``Exchanges`` table (amount in ``unit``)."""

    name: str
    amount: float
    unit: str
    type: str
    reference_product: str | None
    location: str | None
    categories: str | None
    database: str | None
    row: int


@dataclass
class Activity:
    """One ``Activity`` block of the workbook (production ``amount`` of ``unit``)."""

    name: str
    reference_product: str | None
    location: str | None
    unit: str
    amount: float
    sheet: str
    row: int
    exchanges: list[Exchange] = field(default_factory=list)
    id: str = ""


def _cell(v):
    if v is None:
        return None
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return v


def read_workbook(path: str | Path) -> list[Activity]:
    """Read every ``Activity`` block of a Brightway Excel workbook (all sheets).

    Layout (bw2io ExcelImporter, premise): a ``Database`` line, then blocks starting with
    ``Activity | name``, metadata lines ``key | value`` (``location``, ``unit``,
    ``production amount``, ``reference product``, ...), an ``Exchanges`` line, a header line
    and one exchange per line until a blank line or the next ``Activity``. Cached cell values
    are read (formulas are not evaluated).

    Raises
    ------
    ForegroundImportError
        Unreadable file, no activity, an exchange without name/amount/unit/type.
    """
    import openpyxl

    path = Path(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds
        raise ForegroundImportError(path, None, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from None
    activities: list[Activity] = []
    for ws in wb.worksheets:
        act: Activity | None = None
        meta: dict = {}
        header: list | None = None
        in_exchanges = False
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell(c) for c in row]
            first = cells[0] if cells else None
            if isinstance(first, str) and first.lower() == "activity":
                if act is not None:
                    activities.append(act)
                name = cells[1] if len(cells) > 1 else None
                if not name:
                    raise ForegroundImportError(path, r, f"sheet {ws.title!r}: 'Activity' line without a name")
                act = Activity(str(name), None, None, "", 1.0, ws.title, r)
                meta, header, in_exchanges = {}, None, False
                continue
            if act is None:
                continue
            if not any(c is not None for c in cells):
                if in_exchanges and header is not None:
                    activities.append(act)
                    act, in_exchanges = None, False
                continue
            if not in_exchanges:
                if isinstance(first, str) and first.lower() == "exchanges":
                    in_exchanges = True
                    act.location = _str(meta.get("location"))
                    act.reference_product = _str(meta.get("reference product"))
                    act.unit = _str(meta.get("unit")) or ""
                    try:
                        act.amount = float(meta.get("production amount", 1) or 1)
                    except (TypeError, ValueError):
                        raise ForegroundImportError(path, act.row, f"activity {act.name!r}: production amount is not a number") from None
                elif isinstance(first, str) and len(cells) > 1:
                    meta.setdefault(first.lower(), cells[1])
                continue
            if header is None:
                header = [str(c).strip().lower() if c is not None else None for c in cells]
                for needed in ("name", "amount", "unit", "type"):
                    if needed not in header:
                        raise ForegroundImportError(path, r, f"sheet {ws.title!r}: exchanges header of {act.name!r} lacks a {needed!r} column")
                continue
            rec = {h: cells[i] for i, h in enumerate(header) if h and i < len(cells)}
            if rec.get("name") is None and rec.get("amount") is None:
                continue
            try:
                amount = float(rec.get("amount"))
            except (TypeError, ValueError):
                raise ForegroundImportError(path, r, f"sheet {ws.title!r}: exchange {rec.get('name')!r} of {act.name!r} has amount {rec.get('amount')!r}, not a number") from None
            if not rec.get("name") or not rec.get("unit") or not rec.get("type"):
                raise ForegroundImportError(path, r, f"sheet {ws.title!r}: exchange of {act.name!r} needs name, unit and type")
            act.exchanges.append(Exchange(
                str(rec["name"]), amount, str(rec["unit"]), str(rec["type"]).lower(),
                _str(rec.get("reference product")), _str(rec.get("location")),
                _str(rec.get("categories")), _str(rec.get("database")), r))
        if act is not None:
            activities.append(act)
    wb.close()
    if not activities:
        raise ForegroundImportError(path, None, "no 'Activity' block found; is this a Brightway Excel inventory?")
    for act in activities:
        prod = [e for e in act.exchanges if e.type == "production"]
        if prod:
            act.unit = act.unit or prod[0].unit
            act.amount = prod[0].amount or act.amount
            if prod[0].reference_product:
                act.reference_product = prod[0].reference_product
    return activities


def _str(v) -> str | None:
    return None if v is None else str(v).strip() or None


def _pcf_unit(unit: str) -> str:
    """A Brightway unit name as a pcf model unit (``kilogram`` -> ``kg``, ``unit`` -> ``item``)."""
    table = {"kilogram": "kg", "kilowatt hour": "kWh", "megajoule": "MJ", "ton kilometer": "tkm",
             "unit": "item", "cubic meter": "m3", "square meter": "m2", "kilometer": "km",
             "litre": "L", "liter": "L", "gram": "g", "ton": "t", "kilowatt hour ": "kWh"}
    return table.get(unit.strip().lower(), unit.strip())


def _is_mass(unit: str) -> bool:
    try:
        conversion_factor(unit, "kg")
        return True
    except UnitError:
        return False


def _is_transport(unit: str) -> bool:
    try:
        conversion_factor(unit, "tkm")
        return True
    except UnitError:
        return False


def _to_kg(amount: float, unit: str) -> float:
    return amount * conversion_factor(unit, "kg")


def slugify(text: str) -> str:
    """A model id from an activity name: lower case ASCII, ``_`` between words."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return s or "activity"


# --------------------------------------------------------------------------------------------
# report


@dataclass
class LinkRow:
    """One input of an emitted process in the link report.

    Amounts are per run of the process (``amount``, ``unit`` as in the workbook) and per
    reference flow of the product (``amount_per_product``).
    """

    process: str
    ecoinvent_name: str
    reference_product: str | None
    location: str | None
    amount: float
    unit: str
    status: str  # linked exact | linked proxy | unlinked | non-mass | internal | waste | service | water
    target: str | None
    factor: float | None
    match_note: str
    mass_kg: float | None
    mass_share: float | None  # of the process's mass basis [-]
    in_mass_basis: bool
    amount_per_product: float
    kg_co2e_per_product: float | None  # linked: from the open default; unlinked: screening estimate
    ghg_share: float | None  # of the estimated total [-]
    ghg_basis: str
    row: int


@dataclass
class LinkReport:
    """What :func:`import_foreground` linked, proxied and cut off.

    Attributes
    ----------
    source : str
        The workbook.
    product : str
        The product activity (name, location).
    reference_unit : str
        Unit of the reference flow (one unit of the product activity's output).
    linked_mass_share : float
        Headline [-]: linked mass share of the product activity (recursive rule, module docs).
    linked_mass_share_incl_water : float
        The same with process water counted in the mass basis as unlinked [-].
    process_shares : dict of str to float
        Linked mass share of each emitted process [-].
    rows : list of LinkRow
    ignored_flows : list of dict
        Non-GHG biosphere exchanges left out (process, name, categories, amount, unit).
    linked_internal : list of dict
        Internal activities replaced by their link (``internal="auto"`` or ``"link"``).
    screening_kg_co2e_per_kg : float
        Generic factor used for unlinked mass inputs [kg CO2e / kg]: the mass-weighted median
        intensity of the linked mass inputs of this product system.
    estimated_total_kg_co2e : float
        Screening total [kg CO2e / reference flow] = linked + direct GHG + unlinked estimates.
    unlinked_ghg_share : float
        Share of the screening total that the unlinked inputs are estimated to make [-].
    notes : list of str
    """

    source: str
    product: str
    reference_unit: str
    linked_mass_share: float
    linked_mass_share_incl_water: float
    process_shares: dict[str, float]
    rows: list[LinkRow]
    ignored_flows: list[dict]
    linked_internal: list[dict]
    screening_kg_co2e_per_kg: float
    estimated_total_kg_co2e: float
    unlinked_ghg_share: float
    direct_kg_co2e: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["format"] = "pcf-link-report/1"
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def unlinked(self) -> list[LinkRow]:
        """Unlinked inputs (incl. water, services, cut-off rows and waste), largest estimated GHG first."""
        rows = [r for r in self.rows if not r.status.startswith("linked") and r.status != "internal"]
        return sorted(rows, key=lambda r: (-(r.kg_co2e_per_product or 0.0), -(r.mass_kg or 0.0) * (r.amount_per_product / r.amount if r.amount else 0)))

    def to_markdown(self) -> str:
        return _markdown(self)


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "—"
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _esc(text) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def _markdown(rep: LinkReport) -> str:
    out = [f"# Link report: {rep.product}", "",
           f"Source: `{rep.source}`. Reference flow: 1 {rep.reference_unit} of the product activity's output.", "",
           "## Headline", "",
           f"- **Linked mass share: {_pct(rep.linked_mass_share)}** of the product activity's mass inputs "
           "(recursive rule: an internal input counts with its own linked mass share; waste, processing "
           "services and process water are outside the mass basis; docs/foreground-import.md).",
           f"- With process water counted as unlinked mass: {_pct(rep.linked_mass_share_incl_water)}.",
           f"- Screening GHG total: {_fmt(rep.estimated_total_kg_co2e)} kg CO2e per reference flow "
           f"(linked inputs at open-default factors, AR6 GWP100; direct GHG {_fmt(rep.direct_kg_co2e)}; unlinked "
           f"mass at a generic {_fmt(rep.screening_kg_co2e_per_kg, 3)} kg CO2e/kg, the mass-weighted median intensity of the linked mass inputs).",
           f"- **Unlinked inputs: estimated {_pct(rep.unlinked_ghg_share)} of that total** — the cut-off "
           "(ISO 14067:2018 6.3.4.3) this import makes.", ""]
    if rep.notes:
        out += ["Notes:", ""] + [f"- {n}" for n in rep.notes] + [""]
    unl = rep.unlinked()
    material = [r for r in unl if r.in_mass_basis]
    other = [r for r in unl if not r.in_mass_basis]
    out += ["## Cut-off: unlinked material inputs, largest estimated GHG first", "",
            "Amounts per reference flow. The GHG estimate uses the generic factor above: a screening figure, "
            "not a result.", "",
            "| input (ecoinvent) | location | process | kg | est. kg CO2e | est. share |",
            "| --- | --- | --- | ---: | ---: | ---: |"]
    for r in material:
        out.append(f"| {_esc(r.ecoinvent_name)} | {_esc(r.location)} | `{r.process}` | {_fmt(_kg_per_product(r))} | "
                   f"{_fmt(r.kg_co2e_per_product)} | {_pct(r.ghg_share)} |")
    if not material:
        out.append("| (none) | | | | | |")
    out += ["", "## Also cut off, outside the mass basis", "",
            "Processing services (their material is counted where it enters), process water (not estimated), "
            "waste sent to treatment, capital goods and other non-mass inputs without a link. Amounts per reference flow.", "",
            "| input (ecoinvent) | location | process | amount | unit | status |",
            "| --- | --- | --- | ---: | --- | --- |"]
    for r in sorted(other, key=lambda r: (r.status, -abs(r.amount_per_product))):
        out.append(f"| {_esc(r.ecoinvent_name)} | {_esc(r.location)} | `{r.process}` | {_fmt(r.amount_per_product)} | "
                   f"{r.unit} | {r.status} |")
    if rep.linked_internal:
        out += ["", "## Internal activities linked as a whole", "",
                "| activity | linked to | share if expanded | why |", "| --- | --- | ---: | --- |"]
        for li in rep.linked_internal:
            out.append(f"| {_esc(li['activity'])} | `{li['key']}` | {_pct(li['share_if_expanded'])} | {_esc(li['why'])} |")
    out += ["", "## Inputs per process", ""]
    by_proc: dict[str, list[LinkRow]] = {}
    for r in rep.rows:
        by_proc.setdefault(r.process, []).append(r)
    for proc, rows in by_proc.items():
        out += [f"### `{proc}` — linked mass share {_pct(rep.process_shares.get(proc))}", "",
                "| input (ecoinvent) | ref. product | location | amount | unit | status | target | mass share | kg CO2e / ref. flow | note |",
                "| --- | --- | --- | ---: | --- | --- | --- | ---: | ---: | --- |"]
        for r in rows:
            tgt = f"`{r.target}` ×{_fmt(r.factor)}" if r.target and r.factor is not None else (f"`{r.target}`" if r.target else "—")
            out.append(f"| {_esc(r.ecoinvent_name)} | {_esc(r.reference_product)} | {_esc(r.location)} | {_fmt(r.amount)} | "
                       f"{r.unit} | {r.status} | {tgt} | {_pct(r.mass_share)} | {_fmt(r.kg_co2e_per_product)} | {_esc(r.match_note)} |")
        out.append("")
    if rep.ignored_flows:
        out += ["## Non-GHG elementary flows left out", "",
                "| process | flow | compartment | amount | unit |", "| --- | --- | --- | ---: | --- |"]
        for f in rep.ignored_flows:
            out.append(f"| {f['process']} | {_esc(f['name'])} | {_esc(f['categories'])} | {_fmt(f['amount'])} | {f['unit']} |")
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# import


def find_product(activities: list[Activity], query: str | None, source: str | Path = "workbook") -> Activity:
    """The product activity named by ``query``.

    Tried in order: exact activity name; exact reference product; activities whose name or
    reference product contains every word of ``query`` (case-insensitive). When several
    match, "market for ..."/"market group for ..." activities are dropped in favour of the
    production activity they wrap (they only add transport to it).

    Raises
    ------
    ForegroundImportError
        No match, or still several; the message lists the candidates.
    """
    if not query:
        names = "; ".join(sorted({a.name for a in activities}))
        raise ForegroundImportError(source, None, f"name the product activity; activities: {names}").about("product")
    q = _norm(query)
    words = [w for w in re.split(r"[\s,]+", q) if w]
    for test in (lambda a: _norm(a.name) == q,
                 lambda a: _norm(a.reference_product) == q,
                 lambda a: all(w in _norm(a.name) or w in _norm(a.reference_product) for w in words)):
        found = [a for a in activities if test(a)]
        if len(found) > 1:
            prod = [a for a in found if not _norm(a.name).startswith(("market for", "market group for"))]
            found = prod or found
        if len(found) == 1:
            return found[0]
        if found:
            cands = "; ".join(f"{a.name!r} [{a.location}] (sheet {a.sheet!r} row {a.row})" for a in found)
            raise ForegroundImportError(source, None, f"product {query!r} is ambiguous: {cands}; give the full activity name")
    close = [a.name for a in activities if any(w in _norm(a.name) for w in words)][:10]
    hint = f"; activities with some of these words: {'; '.join(close)}" if close else ""
    raise ForegroundImportError(source, None, f"no activity matches product {query!r}{hint}")


def _internal_index(activities: list[Activity]):
    by_name: dict[str, list[Activity]] = {}
    for a in activities:
        by_name.setdefault(_norm(a.name), []).append(a)

    def provider(ex: Exchange) -> Activity | None:
        cands = by_name.get(_norm(ex.name), [])
        if len(cands) > 1 and ex.location:
            cands = [a for a in cands if _norm(a.location) == _norm(ex.location)] or cands
        if len(cands) > 1 and ex.reference_product:
            cands = [a for a in cands if _norm(a.reference_product) == _norm(ex.reference_product)] or cands
        return cands[0] if cands else None

    return provider


_PRODUCTION_WORDS = ("cell production", "pack production", "assembly", "battery production", "module production")


def default_stage(act: Activity, is_product: bool) -> str:
    """``production`` for the product activity, electrode (``cathode, ...``/``anode, ...``),
    cell, module and pack manufacture; ``raw_material_acquisition`` for the rest."""
    n = _norm(act.name)
    if is_product or n.startswith(("cathode, ", "anode, ")) or any(w in n for w in _PRODUCTION_WORDS):
        return "production"
    return "raw_material_acquisition"


@dataclass
class _Plan:
    """Per exchange decision of the importer."""

    kind: str  # internal | linked | unlinked | waste | biosphere | ignored
    link: Link | None = None
    provider: Activity | None = None


@dataclass
class _ImportContext:
    """What the steps of one foreground import share.

    Attributes
    ----------
    xlsx : Path
        The workbook (errors point at its rows).
    table : LinkTable
        The link table.
    internal : {"auto", "expand", "link"}
        What to do with an internal activity the link table also links (:func:`import_foreground`).
    provider_of : callable
        ``provider_of(exchange) -> Activity or None``: the internal activity supplying an exchange.
    memo : dict
        Linked mass shares computed so far, by ``(id(activity), with_water)``.
    visiting : set of int
        Activities whose share is being computed (a loop back counts as unlinked).
    decisions : dict
        ``(id(activity), exchange row) -> bool``: True to replace the internal provider by its link.
    """

    xlsx: Path
    table: LinkTable
    internal: str
    provider_of: Callable[[Exchange], Activity | None]
    memo: dict[tuple[int, bool], float] = field(default_factory=dict)
    visiting: set[int] = field(default_factory=set)
    decisions: dict[tuple[int, int], bool] = field(default_factory=dict)

    def fail(self, row: int | None, msg: str) -> ForegroundImportError:
        """A :class:`ForegroundImportError` at ``row`` of the workbook (to be raised)."""
        return ForegroundImportError(self.xlsx, row, msg)


@dataclass
class _Collected:
    """What the import gathers over all emitted processes for the link report."""

    rows: list[LinkRow] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)
    linked_internal: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    direct_ghg: float = 0.0  # screening estimate of the direct emissions [kg CO2e / reference flow]


@dataclass
class _ProcessDraft:
    """The entries of one emitted process while its exchanges are read; ``basis`` is its mass
    basis [kg per run] and ``pending`` its link-report rows (mass shares set at the end)."""

    inputs: list[dict] = field(default_factory=list)
    emissions: list[dict] = field(default_factory=list)
    removals: list[dict] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)
    pending: list[LinkRow] = field(default_factory=list)
    basis: float = 0.0


def import_foreground(xlsx: str | Path, product_activity: str | None = None, *, links: str | Path | LinkTable = LINKS,
                      product_id: str | None = None, pcr: str | None = None, stages: dict[str, str] | None = None,
                      internal: str = "auto") -> tuple[dict, LinkReport]:
    """Read a Brightway Excel foreground into a ``pcf-model/1`` dict and a link report.

    A driver: linked mass shares (:func:`_linked_mass_share`), the emitted processes
    (:func:`_emitted_activities`, :func:`_process_ids`), their runs per reference flow
    (:func:`_runs_per_reference_flow`), each process with its link-report rows
    (:func:`_build_process`), the screening GHG estimate (:func:`_screening_estimate`) and
    the model (:func:`_model_dict`).

    Parameters
    ----------
    xlsx : str or Path
        The workbook (premise layout).
    product_activity : str
        Name, reference product or words of the product activity (:func:`find_product`).
    links : str, Path or LinkTable
        The link table (default ``databases/ecoinvent-links.csv``).
    product_id : str, optional
        ``product.id`` of the model; default the slug of the product activity's name.
    pcr : str, optional
        ``study.pcr`` of the model.
    stages : dict of str to str, optional
        Process id or activity name -> life-cycle stage, overriding :func:`default_stage`.
    internal : {"auto", "expand", "link"}
        What to do with an internal activity the link table also links: ``expand`` it as a
        foreground process always; replace it by its link always (``link``); or (``auto``)
        replace it only when its own linked mass share is below ``AUTO_LINK_THRESHOLD``,
        i.e. when the aggregated background figure covers more of its supply chain than the
        detailed foreground can.

    Returns
    -------
    (dict, LinkReport)
        The model (reference flow: 1 unit of the product activity's output) and the report.

    Raises
    ------
    ForegroundImportError, LinkTableError
    """
    xlsx = Path(xlsx)
    table = links if isinstance(links, LinkTable) else load_links(links)
    _check_import_options(internal, stages)
    activities = read_workbook(xlsx)
    product = find_product(activities, product_activity, xlsx)
    ctx = _ImportContext(xlsx, table, internal, _internal_index(activities))

    headline = _linked_mass_share(ctx, product)
    headline_water = _linked_mass_share(ctx, product, True)
    order = _emitted_activities(ctx, product)
    stages = dict(stages or {})
    ids, used = _process_ids(order, stages)
    runs, idx = _runs_per_reference_flow(ctx, order, product)

    acc = _Collected()
    processes: list[dict] = []
    for a in order:
        processes.extend(_build_process(ctx, acc, a, a is product, float(runs[idx[id(a)]]), stages, ids, used))

    rows = acc.rows
    generic, est_total, unlinked_total = _screening_estimate(rows, acc.direct_ghg)
    process_shares = {a.id: _linked_mass_share(ctx, a) for a in order}
    report = LinkReport(
        source=str(xlsx), product=f"{product.name} [{product.location or '?'}]", reference_unit=_pcf_unit(product.unit),
        linked_mass_share=headline, linked_mass_share_incl_water=headline_water, process_shares=process_shares,
        rows=rows, ignored_flows=acc.ignored, linked_internal=acc.linked_internal, screening_kg_co2e_per_kg=generic,
        estimated_total_kg_co2e=est_total, unlinked_ghg_share=(unlinked_total / est_total if est_total else 0.0),
        direct_kg_co2e=acc.direct_ghg, notes=sorted(set(acc.notes)))
    return _model_dict(product, processes, product_id, pcr), report


def _check_import_options(internal: str, stages: dict[str, str] | None) -> None:
    """Check the ``internal`` choice and the life-cycle stages given by the caller.

    Raises
    ------
    PCFError
        ``internal`` is not auto, expand or link, or a stage is not a life-cycle stage.
    """
    if internal not in ("auto", "expand", "link"):
        raise PCFError(f"internal must be auto, expand or link, got {internal!r}")
    for sid, st in (stages or {}).items():
        if st not in STAGES:
            raise PCFError(f"stage {st!r} for {sid!r} is not one of {', '.join(STAGES)}")


def _classify(ctx: _ImportContext, act: Activity, ex: Exchange) -> _Plan:
    """What an exchange of ``act`` is: production, biosphere, ignored, an internal input
    (with its provider and, if any, its link), waste, or an external input linked or not."""
    if ex.type == "production":
        return _Plan("production")
    if ex.type == "biosphere":
        return _Plan("biosphere")
    if ex.type not in ("technosphere", "substitution"):
        return _Plan("ignored")
    table = ctx.table
    prov = ctx.provider_of(ex)
    if prov is not None and prov is not act:
        return _Plan("internal", table.find(ex.name, ex.reference_product, ex.location), prov)
    if ex.amount < 0 or ex.type == "substitution":
        return _Plan("waste", table.find(ex.name, ex.reference_product, ex.location))
    link = table.find(ex.name, ex.reference_product, ex.location)
    return _Plan("linked" if link is not None and link.linked else "unlinked", link)


def _linked_mass_share(ctx: _ImportContext, act: Activity, with_water: bool = False) -> float:
    """Linked mass share of ``act`` [-] (see the module's glossary), recursive through internal
    inputs, memoised in ``ctx``; a loop back counts as unlinked. Records in ``ctx.decisions``
    which internal providers are replaced by their link (``ctx.internal``); 1.0 for an
    activity with no mass basis.

    Parameters
    ----------
    ctx : _ImportContext
    act : Activity
    with_water : bool
        Count process water (link-table ``match = water``) in the mass basis.
    """
    k = (id(act), with_water)
    if k in ctx.memo:
        return ctx.memo[k]
    if id(act) in ctx.visiting:
        return 0.0
    ctx.visiting.add(id(act))
    num = den = 0.0
    for ex in act.exchanges:
        plan = _classify(ctx, act, ex)
        unit = _pcf_unit(ex.unit)
        if plan.kind in ("production", "biosphere", "ignored", "waste") or ex.amount <= 0 or not _is_mass(unit):
            continue
        kg = _to_kg(ex.amount, unit)
        if plan.kind == "internal":
            sub = _linked_mass_share(ctx, plan.provider, with_water)
            use_link = plan.link is not None and plan.link.match == "exact" and (
                ctx.internal == "link" or (ctx.internal == "auto" and _linked_mass_share(ctx, plan.provider) < AUTO_LINK_THRESHOLD))
            ctx.decisions[(id(act), ex.row)] = use_link
            num += kg * (1.0 if use_link else sub)
            den += kg
        elif plan.link is not None and plan.link.match == "water":
            if with_water:
                den += kg
        elif plan.link is not None and plan.link.match == "service":
            continue
        else:
            den += kg
            num += kg if plan.kind == "linked" else 0.0
    ctx.visiting.discard(id(act))
    ctx.memo[k] = num / den if den > 0 else 1.0
    return ctx.memo[k]


def _emitted_activities(ctx: _ImportContext, product: Activity) -> list[Activity]:
    """The activities emitted as processes: reachable from the product through expanded
    internal inputs, breadth first (the product first).

    Raises
    ------
    ForegroundImportError
        A negative input of an internal activity (co-product credits between foreground
        activities).
    """
    order: list[Activity] = []
    seen: set[int] = set()
    stack = [product]
    while stack:
        act = stack.pop(0)
        if id(act) in seen:
            continue
        seen.add(id(act))
        order.append(act)
        for ex in act.exchanges:
            plan = _classify(ctx, act, ex)
            if plan.kind == "internal" and ex.amount > 0 and not ctx.decisions.get((id(act), ex.row), False):
                stack.append(plan.provider)
            elif plan.kind == "internal" and ex.amount < 0:
                raise ctx.fail(ex.row, f"negative input {ex.amount} of internal activity {ex.name!r} in {act.name!r}: "
                                       "co-product credits between foreground activities are not supported")
    return order


def _process_ids(order: list[Activity], stages: dict[str, str]) -> tuple[dict[int, str], set[str]]:
    """Give every emitted activity a unique process id (``act.id``, the slug of its name).

    Returns
    -------
    ids : dict of int to str
        ``id(activity)`` -> process id.
    used : set of str
        The process ids taken.

    Raises
    ------
    PCFError
        A name in ``stages`` that is neither a process id nor an emitted activity's name.
    """
    ids: dict[int, str] = {}
    used: set[str] = set()
    for act in order:
        base = slugify(act.name)
        sid, n = base, 2
        while sid in used:
            sid, n = f"{base}_{n}", n + 1
        used.add(sid)
        ids[id(act)] = act.id = sid
    unknown = [s for s in stages if s not in used and _norm(s) not in {_norm(a.name) for a in order}]
    if unknown:
        raise PCFError(f"a stage override names no emitted process: {', '.join(unknown)} "
                       f"(processes: {', '.join(sorted(used))})").about("stage")
    return ids, used


def _runs_per_reference_flow(ctx: _ImportContext, order: list[Activity], product: Activity):
    """Runs of each emitted activity per reference flow (1 unit of the product's output) [-].

    Returns
    -------
    runs : numpy.ndarray
        One value per activity of ``order``.
    idx : dict of int to int
        ``id(activity)`` -> its position in ``runs``.

    Raises
    ------
    ForegroundImportError
        The activities form a singular system.
    """
    import numpy as np

    idx = {id(a): i for i, a in enumerate(order)}
    A = np.zeros((len(order), len(order)))
    for a in order:
        j = idx[id(a)]
        A[j, j] += a.amount
        for ex in a.exchanges:
            plan = _classify(ctx, a, ex)
            if plan.kind == "internal" and id(plan.provider) in idx and not ctx.decisions.get((id(a), ex.row), False):
                amt = ex.amount * conversion_factor(_pcf_unit(ex.unit), _pcf_unit(plan.provider.unit))
                A[idx[id(plan.provider)], j] -= amt
    f = np.zeros(len(order))
    f[idx[id(product)]] = 1.0
    try:
        runs = np.linalg.solve(A, f)
    except np.linalg.LinAlgError:
        raise ctx.fail(product.row, "the foreground activities form a singular system (a loop producing nothing net)") from None
    return runs, idx


def _build_process(ctx: _ImportContext, acc: _Collected, a: Activity, is_product: bool, run: float,
                   stages: dict[str, str], ids: dict[int, str], used: set[str]) -> list[dict]:
    """The model process of one emitted activity, and its materials sibling if any.

    Parameters
    ----------
    ctx : _ImportContext
    acc : _Collected
        Gathers the report rows, ignored flows, linked internal activities, notes and direct GHG.
    a : Activity
    is_product : bool
        ``a`` is the product activity (stage ``production`` by default).
    run : float
        Runs of ``a`` per reference flow [-].
    stages : dict of str to str
        Stages given by the caller (process id or activity name -> life-cycle stage).
    ids : dict of int to str
        Process id of every emitted activity.
    used : set of str
        Process ids taken (a materials sibling takes one more).

    Returns
    -------
    list of dict
        The process, then the sibling carrying the materials of a manufacturing step.

    Raises
    ------
    ForegroundImportError
        An output unit pcf does not know, or an input unit that does not fit its link.
    """
    pid = a.id
    out_unit = _pcf_unit(a.unit)
    try:
        parse_unit(out_unit)
    except UnitError as exc:
        raise ctx.fail(a.row, f"activity {a.name!r}: {exc}") from None
    st = stages.get(pid) or stages.get(a.name) or next((v for k, v in stages.items() if _norm(k) == _norm(a.name)), None)
    proc: dict = {"id": pid, "name": a.name, "stage": st or default_stage(a, is_product)}
    if a.location:
        proc["location"] = a.location
    proc["output"] = {"amount": a.amount, "unit": out_unit}
    proc["comment"] = f"imported from {ctx.xlsx.name}, sheet {a.sheet!r} row {a.row}"
    draft = _ProcessDraft()
    for ex in a.exchanges:
        plan = _classify(ctx, a, ex)
        unit = _pcf_unit(ex.unit)
        if plan.kind in ("production", "ignored"):
            continue
        if plan.kind == "biosphere":
            _add_biosphere(acc, draft, pid, ex, unit, run)
        else:
            _add_technosphere(ctx, acc, draft, a, ex, plan, unit, run, ids)
    for r in draft.pending:
        if r.in_mass_basis and draft.basis > 0 and r.mass_kg is not None:
            r.mass_share = r.mass_kg / draft.basis
    acc.rows.extend(draft.pending)
    inputs, sibling = _split_materials(a, pid, proc["stage"], draft.inputs, used)
    for key, entries in (("inputs", inputs), ("emissions", draft.emissions), ("removals", draft.removals),
                         ("excluded", draft.excluded)):
        if entries:
            proc[key] = entries
    return [proc] + ([sibling] if sibling is not None else [])


def _add_biosphere(acc: _Collected, draft: _ProcessDraft, pid: str, ex: Exchange, unit: str, run: float) -> None:
    """A biosphere exchange: CO2 taken up from air becomes a biogenic removal, a GHG to air an
    emission (counted in the screening estimate [kg CO2e / reference flow] when its GWP100 is
    known), anything else an ignored flow."""
    comp = _norm(ex.categories).split("::")[0]
    fl = _norm(ex.name)
    ghg = GHG_FLOWS.get(fl)
    if comp == "natural resource" and fl == "carbon dioxide, in air":
        draft.removals.append({"substance": "carbon dioxide", "origin": "biogenic", "amount": ex.amount, "unit": unit,
                               "comment": f"{ex.name} (row {ex.row})"})
        acc.direct_ghg -= ex.amount * run
    elif comp == "air" and (ghg or _OTHER_GHG.search(ex.name)):
        sub, origin, gwp = ghg or (fl, "fossil", None)
        draft.emissions.append({"substance": sub, "origin": origin, "amount": ex.amount, "unit": unit,
                                "comment": f"{ex.name} (row {ex.row})"})
        if gwp is None:
            acc.notes.append(f"{pid}: halogenated GHG {ex.name!r} passed on by name; not in the screening estimate")
        else:
            acc.direct_ghg += ex.amount * conversion_factor(unit, "kg") * gwp * run
    else:
        acc.ignored.append({"process": pid, "name": ex.name, "categories": ex.categories, "amount": ex.amount, "unit": unit})


def _add_technosphere(ctx: _ImportContext, acc: _Collected, draft: _ProcessDraft, a: Activity, ex: Exchange,
                      plan: _Plan, unit: str, run: float, ids: dict[int, str]) -> None:
    """A technosphere exchange of ``a``: an input of an expanded internal process, an input of
    its linked open-default activity (an internal activity replaced by its link goes the same
    way), or a cut-off (``excluded``) entry; with its link-report row.

    Raises
    ------
    ForegroundImportError
        The exchange's unit does not fit its link-table line.
    """
    pid = a.id
    mass = _to_kg(ex.amount, unit) if _is_mass(unit) else None
    per_product = ex.amount * run / a.amount
    if plan.kind == "internal":
        if not ctx.decisions.get((id(a), ex.row), False):
            draft.inputs.append({"process": ids[id(plan.provider)], "amount": ex.amount, "unit": unit,
                                 "comment": f"{ex.name} (row {ex.row})"})
            in_basis = mass is not None and ex.amount > 0
            draft.basis += mass if in_basis else 0.0
            draft.pending.append(LinkRow(pid, ex.name, ex.reference_product, ex.location, ex.amount, unit, "internal",
                                         ids[id(plan.provider)], None, "foreground process", mass, None, in_basis,
                                         per_product, None, None, "", ex.row))
            return
        acc.linked_internal.append({"activity": ex.name, "in": pid, "key": plan.link.key,
                                    "share_if_expanded": _linked_mass_share(ctx, plan.provider),
                                    "why": ("internal='link'" if ctx.internal == "link" else
                                            f"its own linked mass share is below {AUTO_LINK_THRESHOLD:.0%}; "
                                            "the background figure covers its whole supply chain")})
    if plan.link is not None and plan.link.linked:
        _add_linked(ctx, draft, a, ex, plan, unit, run, mass, per_product)
    else:
        _add_cut_off(ctx, draft, pid, ex, plan, unit, mass, per_product)


def _add_linked(ctx: _ImportContext, draft: _ProcessDraft, a: Activity, ex: Exchange, plan: _Plan, unit: str,
                run: float, mass: float | None, per_product: float) -> None:
    """An external input linked to an open-default activity: the input [link unit per run]
    and its report row with the open default's GHG [kg CO2e / reference flow].

    Raises
    ------
    ForegroundImportError
        The exchange's unit does not convert to the link's ``factor_unit``.
    """
    link = plan.link
    waste = plan.kind == "waste"
    amount = abs(ex.amount)
    where = f"{ex.name} [{ex.location or '?'}], row {ex.row}"
    try:
        conv = conversion_factor(unit, link.from_unit)
    except UnitError as exc:
        raise ctx.fail(ex.row, f"{where}: unit {ex.unit!r} does not fit link table line {link.line} "
                               f"(factor_unit .../{link.from_unit}): {exc}") from None
    value = amount * conv * link.factor
    draft.inputs.append({"background": link.key, "amount": _round(value), "unit": link.unit,
                         "comment": f"linked from ecoinvent '{ex.name}' [{ex.location or '?'}] "
                                    f"{_fmt(ex.amount, 6)} {unit} x {_fmt(link.factor, 6)} ({link.match}; links line {link.line}; row {ex.row})"})
    status = f"linked {link.match}"
    od = ctx.table.background[link.key]
    ghg = value * run / a.amount * od.kg_co2e
    basis_here = mass is not None and not waste and ex.amount > 0
    draft.basis += mass if basis_here else 0.0
    draft.pending.append(LinkRow(a.id, ex.name, ex.reference_product, ex.location, ex.amount, unit,
                                 status + (" (waste)" if waste else ""), link.key, link.factor, link.note, mass,
                                 None, basis_here, per_product, ghg, None, "open default, AR6", ex.row))


def _add_cut_off(ctx: _ImportContext, draft: _ProcessDraft, pid: str, ex: Exchange, plan: _Plan, unit: str,
                 mass: float | None, per_product: float) -> None:
    """An input that is not linked (waste without an open factor, a proxy-less or non-mass
    input, service, water, cut-off): an ``excluded`` entry with the reason, and its report row
    (in the mass basis when it is unlinked or cut-off mass)."""
    link = plan.link
    waste = plan.kind == "waste"
    amount = abs(ex.amount)
    if waste:
        status, reason = "waste", "waste sent to treatment; no open factor"
    elif link is not None:
        status, reason = link.match, link.note
    elif mass is None:
        status, reason = "non-mass", f"no link in {ctx.table.path.name}"
    else:
        status, reason = "unlinked", f"no link in {ctx.table.path.name}"
    if not _is_mass(unit) and _norm(unit) in ("item",) and status == "non-mass":
        reason = "capital good or counted item; no link" if "factory" in _norm(ex.name) or "facility" in _norm(ex.name) or "plant" in _norm(ex.name) else reason
    draft.excluded.append({"name": f"{ex.name} [{ex.location or '?'}]", "amount": _round(amount), "unit": unit,
                           "reason": f"{reason} (row {ex.row})"})
    in_basis = mass is not None and status == "unlinked" or (status == "cut-off" and mass is not None)
    if status == "water":
        in_basis = False
    draft.basis += mass if in_basis else 0.0
    draft.pending.append(LinkRow(pid, ex.name, ex.reference_product, ex.location, ex.amount, unit,
                                 "non-mass" if status == "non-mass" else status, None, None, reason, mass, None,
                                 in_basis, per_product, None, None, "", ex.row))


def _split_materials(a: Activity, pid: str, stage: str, inputs: list[dict],
                     used: set[str]) -> tuple[list[dict], dict | None]:
    """Move the background materials and inbound transport of a manufacturing step
    (``stage: production``) to a sibling process in raw material acquisition (EU battery CFB
    rules, ISO 14067 6.3.4.2).

    Returns
    -------
    inputs : list of dict
        The step's inputs, with one ``item`` of the sibling first when it has one.
    sibling : dict or None
        The sibling process (its id is added to ``used``), None when nothing moves.
    """
    moved = [i for i in inputs if "background" in i and stage == "production"
             and (_is_mass(i["unit"]) or _is_transport(i["unit"]))]
    if not moved:
        return inputs, None
    sub_id = f"{pid}_materials"
    while sub_id in used:
        sub_id += "_"
    used.add(sub_id)
    inputs = [i for i in inputs if not any(i is m for m in moved)]
    inputs.insert(0, {"process": sub_id, "amount": 1, "unit": "item",
                      "comment": "materials and inbound transport of this step (raw material acquisition)"})
    sibling = {"id": sub_id, "name": f"materials and inbound transport for one run of: {a.name}",
               "stage": "raw_material_acquisition", **({"location": a.location} if a.location else {}),
               "output": {"amount": 1, "unit": "item"},
               "comment": f"split from {pid} by the importer (stage split only)", "inputs": moved}
    return inputs, sibling


def _screening_estimate(rows: list[LinkRow], direct_ghg: float) -> tuple[float, float, float]:
    """Screening GHG estimate of the unlinked mass: a generic factor (mass-weighted median
    intensity of the linked mass inputs) for unlinked and cut-off rows, and every row's share
    of the estimated total (rows are updated in place).

    Parameters
    ----------
    rows : list of LinkRow
    direct_ghg : float
        Direct emissions of the emitted processes [kg CO2e / reference flow].

    Returns
    -------
    generic : float
        The generic factor [kg CO2e / kg].
    est_total : float
        Linked + direct + unlinked estimate [kg CO2e / reference flow].
    unlinked_total : float
        The unlinked and cut-off part of it [kg CO2e / reference flow].
    """
    generic = _weighted_median([((r.kg_co2e_per_product or 0.0) / kg, kg) for r in rows
                                for kg in [_kg_per_product(r)]
                                if r.status.startswith("linked") and "waste" not in r.status and kg])
    for r in rows:
        kg = _kg_per_product(r)
        if r.status in ("unlinked", "cut-off") and kg:
            r.kg_co2e_per_product = kg * generic
            r.ghg_basis = "screening: generic factor (mass-weighted median intensity of the linked mass inputs)"
        elif r.status == "water":
            r.ghg_basis = "not estimated: process water, orders of magnitude below the materials per kg"
    linked_total = sum(r.kg_co2e_per_product or 0 for r in rows if r.status.startswith("linked"))
    unlinked_total = sum(r.kg_co2e_per_product or 0 for r in rows if r.status in ("unlinked", "cut-off"))
    est_total = linked_total + direct_ghg + unlinked_total
    for r in rows:
        if r.kg_co2e_per_product is not None and est_total:
            r.ghg_share = r.kg_co2e_per_product / est_total
    return generic, est_total, unlinked_total


def _model_dict(product: Activity, processes: list[dict], product_id: str | None, pcr: str | None) -> dict:
    """The ``pcf-model/1`` dict: the product (reference flow 1 unit of the product activity's
    output), a cradle-to-gate ISO 14067 study on the open default background, the processes."""
    pid_model = product_id or slugify(product.name).replace("_", "-")[:60]
    study: dict = {"standard": "ISO 14067:2018", "boundary": "cradle-to-gate"}
    if pcr:
        study["pcr"] = pcr
    study.update({"method": "ipcc-2021-gwp100", "background": "open-default"})
    return {
        "format": "pcf-model/1",
        "product": {"id": pid_model, "name": product.reference_product or product.name, "process": product.id,
                    "reference_flow": {"amount": 1, "unit": _pcf_unit(product.unit)}},
        "study": study,
        "processes": processes,
    }


def _kg_per_product(r: LinkRow) -> float | None:
    """Mass of an input per reference flow [kg], None for non-mass inputs."""
    if r.mass_kg is None or not r.amount:
        return None
    return abs(r.mass_kg / r.amount * r.amount_per_product)


def _weighted_median(pairs: list[tuple[float, float]]) -> float:
    """Median of ``value`` weighted by ``weight`` over ``(value, weight)`` pairs (0 if none)."""
    pairs = sorted(p for p in pairs if p[1] > 0)
    total = sum(w for _, w in pairs)
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        if acc >= total / 2:
            return value
    return 0.0


def _round(x: float) -> float:
    return float(f"{x:.10g}")


def model_yaml(model: dict, report: LinkReport, links_path: str | Path | None = None) -> str:
    """The model as YAML text with a header comment naming its source and the headline share."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    _Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]
    # PyYAML writes YAML 1.1: it leaves `1e3` or `0o17` unquoted, which pcf's YAML 1.2 reader
    # takes for numbers
    _Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style=None if plain_is_text(text) else '"'))
    head = [
        f"# Imported by `pcf import-foreground` from {report.source}",
        f"# product activity: {report.product}; reference flow 1 {report.reference_unit}",
        f"# external inputs linked through {links_path or 'databases/ecoinvent-links.csv'}; each linked input's",
        "# comment names the ecoinvent activity it replaces (linked from ...), unlinked ones are in `excluded`.",
        f"# linked mass share {100 * report.linked_mass_share:.1f} %; unlinked inputs estimated at "
        f"{100 * report.unlinked_ghg_share:.1f} % of a screening total (see the .links.md report).",
    ]
    body = yaml.dump(model, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200, default_flow_style=False)
    return "\n".join(head) + "\n" + body


def report_paths(out: str | Path) -> tuple[Path, Path]:
    """``(<out stem>.links.md, <out stem>.links.json)`` next to the model file."""
    out = Path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix in (".yaml", ".yml") else out.name
    return out.with_name(stem + ".links.md"), out.with_name(stem + ".links.json")


@dataclass
class ImportRun:
    """What :func:`run_import` wrote: the model, the report and the three paths."""

    model: dict
    report: LinkReport
    files: dict[str, Path]


def run_import(xlsx: str | Path, product_activity: str | None, out: str | Path, *, product_id: str | None = None,
               pcr: str | None = None, stages: dict[str, str] | None = None, internal: str = "auto",
               links: str | Path | LinkTable = LINKS) -> ImportRun:
    """``pcf import-foreground``: import, validate the model with the loader, then write the model,
    ``<out>.links.md`` and ``<out>.links.json`` atomically (all or nothing).

    Raises
    ------
    PCFError
        Import errors; a :class:`pcf.core.errors.ModelError` if the emitted model does not load.
    """
    out = Path(out)
    model, report = import_foreground(xlsx, product_activity, links=links, product_id=product_id, pcr=pcr,
                                      stages=stages, internal=internal)
    lp = Path(links.path if isinstance(links, LinkTable) else links).resolve()
    text = model_yaml(model, report, lp.relative_to(REPO) if lp.is_relative_to(REPO) else lp)
    with tempfile.TemporaryDirectory(prefix="pcf-import-") as tmp:
        probe = Path(tmp) / out.name
        probe.write_text(text, encoding="utf-8")
        load_model(probe)
    if not out.parent.exists():
        raise ForegroundImportError(out, None, "the output folder does not exist")
    md, js = report_paths(out)
    write_atomic({out: text.encode("utf-8"), md: report.to_markdown().encode("utf-8"), js: report.to_json().encode("utf-8")})
    return ImportRun(model, report, {"model": out, "links.md": md, "links.json": js})


def iter_external(activities: Iterable[Activity]) -> Iterable[tuple[Activity, Exchange]]:
    """Every technosphere exchange whose provider is not defined in the workbook."""
    activities = list(activities)
    provider_of = _internal_index(activities)
    for a in activities:
        for ex in a.exchanges:
            if ex.type == "technosphere" and provider_of(ex) is None:
                yield a, ex
