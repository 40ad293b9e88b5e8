"""The open default background: ``databases/open-default.csv`` as a Brightway database.

Each row is one aggregated background activity (cradle-to-gate unless its ``note`` says
otherwise) emitting real biosphere3 air flows, so that the GWP set of the method decides
its CO2e. Column reference: ``databases/README.md``.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from ..core.bw import OPEN_DEFAULT_DATABASE
from ..core.shipped import shipped
from ..core.errors import BackgroundError, SourceError, UnitError
from ..core.units import parse_unit
from ..model.distributions import dqr_pedigree, dqr_sigma

SOURCE = shipped("databases") / "open-default.csv"
DATABASE = OPEN_DEFAULT_DATABASE

#: CSV gas column -> (biosphere3 flow name, categories). Amounts are kg of the gas.
GAS_FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "co2_fossil": ("Carbon dioxide, fossil", ("air",)),
    "co2e_unsplit": ("Carbon dioxide, fossil", ("air",)),
    "ch4_fossil": ("Methane, fossil", ("air",)),
    "ch4_biogenic": ("Methane, non-fossil", ("air",)),
    "n2o": ("Dinitrogen monoxide", ("air",)),
    "co2_biogenic": ("Carbon dioxide, non-fossil", ("air",)),
    "co2_dluc": ("Carbon dioxide, from soil or biomass stock", ("air",)),
    "sf6": ("Sulfur hexafluoride", ("air",)),
    "nf3": ("Nitrogen fluoride", ("air",)),
    "cf4": ("Methane, tetrafluoro-, R-14", ("air",)),
    "c2f6": ("Ethane, hexafluoro-, HFC-116", ("air",)),
}
REQUIRED = ("key", "name", "reference_product", "unit", "location", "year", "source")
#: PEF data quality rating columns (Commission Recommendation (EU) 2021/2279, Annex I,
#: section 4.6.5): technological, geographical, time-related representativeness and
#: precision, each an integer 1 (best) .. 5 (worst). DQR = (TeR + GeR + TiR + P) / 4.
DQR_COLUMNS = ("dqr_ter", "dqr_ger", "dqr_tir", "dqr_p")
#: Placeholders that are not a citation (compared case-insensitively).
NOT_A_SOURCE = ("todo", "n/a", "na", "none", "tbd", "-")
#: How :func:`write_open_default` writes a table; ``pcf setup`` rewrites an installed table
#: written by another format. 2: biosphere exchanges carry a lognormal uncertainty. 3: the
#: activity states its GWP basis (``pcf_gas_basis``, ``pcf_co2e_gwp``, ``pcf_co2e_unsplit``).
TABLE_FORMAT = 3

#: ``gas_basis`` values: how the gas columns (all but ``co2e_unsplit``) were made. ``masses``:
#: gas masses (as published, or converted back from per-gas CO2e with the source's GWP set),
#: which the study's method characterises; ``co2_only``: the source gives CO2 only (e.g.
#: combustion CO2 of a grid factor), so the other gases are missing. Blank = ``masses``.
GAS_BASES = ("masses", "co2_only")
#: A ``masses`` row derived from several factors may hold CO2 of a CO2-only factor in
#: ``co2_fossil``: ``co2_only_fossil`` [kg CO2 / unit] states that part (<= co2_fossil).
#: ``co2e_gwp`` values: the GWP vintage (IPCC assessment report) of the pre-aggregated CO2e in
#: ``co2e_unsplit``; ``unknown`` when the source does not state it. Required with co2e_unsplit.
GWP_VINTAGES = ("AR4", "AR5", "AR6", "unknown")

#: Basic uncertainty of each gas column, as the variance of ln(amount) [-]: ecoinvent's basic
#: factors for emissions to air (Frischknecht et al. 2007, ecoinvent report No. 1; transcribed
#: in brightway-lca/pedigree_matrix data.py), which act on GSD^2, converted by (ln U / 2)^2 and
#: rounded as ecoinvent v3 does: CO2 1.05 -> 0.0006; CH4 and N2O from combustion 1.5 -> 0.04;
#: "inorganic emissions, others" 1.5 -> 0.04 (fluorinated gases); land transformation 2 -> 0.12
#: (dLUC CO2). ``co2e_unsplit`` (a CO2e total, mostly CO2) takes the CO2 value.
BASIC_VARIANCE: dict[str, float] = {
    "co2_fossil": 0.0006, "co2e_unsplit": 0.0006, "co2_biogenic": 0.0006,
    "ch4_fossil": 0.04, "ch4_biogenic": 0.04, "n2o": 0.04,
    "sf6": 0.04, "nf3": 0.04, "cf4": 0.04, "c2f6": 0.04,
    "co2_dluc": 0.12,
}


def exchange_sigma(dqr: dict, basic_variance: float) -> float:
    """Standard deviation of ln(amount) of a background exchange [-]:
    sqrt(basic variance + pedigree variances of :func:`dqr_pedigree`), ecoinvent v3 pedigree
    matrix (:func:`pcf.model.distributions.dqr_sigma`, the same math the Monte Carlo uses for
    foreground amounts without ``uncertainty:``). GSD = exp(sigma)."""
    return dqr_sigma(dqr, basic_variance)


@dataclass(frozen=True)
class BackgroundRow:
    """One background activity of the open default.

    ``gases`` maps a CSV gas column to its amount [kg gas / unit]. ``dqr`` is the PEF data
    quality rating: ``{"ter", "ger", "tir", "p"}`` integers 1..5 [-] and ``"dqr"``, their
    mean [-] (1 = best; databases/README.md gives the rating basis).
    """

    key: str
    name: str
    reference_product: str
    unit: str
    location: str
    year: str
    gases: dict[str, float]
    gwp_note: str
    aircraft: bool
    factor_ids: str
    source: str
    note: str
    line: int
    dqr: dict[str, float]
    gas_basis: str | None = None
    co2e_gwp: str | None = None
    co2_only_fossil: float = 0.0


def source_sha256(path: Path = SOURCE) -> str:
    """SHA-256 of the source table [hex], the open default's content hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_rows(path: Path = SOURCE) -> list[BackgroundRow]:
    """Read and validate the open-default table.

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8, header row as in ``databases/README.md``).

    Returns
    -------
    list of BackgroundRow

    Raises
    ------
    SourceError
        ``file:line: message`` for a missing column or value, a duplicate key, an unknown
        unit, a gas amount that is not a finite non-negative number, a row emitting
        nothing, a row without a source citation (empty, whitespace, 'TODO', 'n/a'), or a
        data quality rating (``dqr_ter``, ``dqr_ger``, ``dqr_tir``, ``dqr_p``) that is
        missing or not an integer 1..5, or a GWP basis that does not fit the row (see
        :func:`_read_basis`).
    """
    if not path.exists():
        raise BackgroundError(f"{path} not found: the open default background table is missing")
    rows: list[BackgroundRow] = []
    seen: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED + DQR_COLUMNS + tuple(GAS_FLOWS) if c not in (reader.fieldnames or [])]
        if missing:
            raise SourceError(path, 1, f"missing columns: {', '.join(missing)} (see databases/README.md)")
        for record in reader:
            line = reader.line_num
            for column in REQUIRED:
                if not (record.get(column) or "").strip():
                    raise SourceError(path, line, f"empty {column!r}; every row needs {', '.join(REQUIRED)}")
            if record["source"].strip().lower() in NOT_A_SOURCE:
                raise SourceError(path, line, f"source = {record['source'].strip()!r} is not a citation; "
                                  "give author or organisation, year, table and URL or DOI")
            dqr = _read_dqr(path, line, record)
            key = record["key"].strip()
            if key in seen:
                raise SourceError(path, line, f"duplicate key {key!r} (first on line {seen[key]})")
            seen[key] = line
            try:
                parse_unit(record["unit"])
            except UnitError as exc:
                raise SourceError(path, line, str(exc)) from None
            gases = {}
            for column in GAS_FLOWS:
                text = (record.get(column) or "").strip()
                if not text:
                    continue
                try:
                    value = float(text)
                except ValueError:
                    raise SourceError(path, line, f"{column} = {text!r} is not a number") from None
                if not math.isfinite(value) or value < 0:
                    raise SourceError(path, line, f"{column} = {text!r} must be a finite amount >= 0 [kg / {record['unit']}]")
                if value:
                    gases[column] = value
            if not gases:
                raise SourceError(path, line, f"row {key!r} emits nothing: fill at least one gas column")
            gas_basis, co2e_gwp, co2_only_fossil = _read_basis(path, line, record, gases)
            rows.append(BackgroundRow(
                key=key, name=record["name"].strip(), reference_product=record["reference_product"].strip(),
                unit=record["unit"].strip(), location=record["location"].strip(), year=record["year"].strip(),
                gases=gases, gwp_note=(record.get("gwp_note") or "").strip(),
                gas_basis=gas_basis, co2e_gwp=co2e_gwp, co2_only_fossil=co2_only_fossil,
                aircraft=(record.get("aircraft") or "").strip().lower() in ("yes", "true", "1"),
                factor_ids=(record.get("factor_ids") or "").strip(), source=record["source"].strip(),
                note=(record.get("note") or "").strip(), line=line, dqr=dqr,
            ))
    if not rows:
        raise SourceError(path, None, "no rows")
    return rows


def _read_basis(path: Path, line: int, record: dict, gases: dict) -> tuple[str | None, str | None, float]:
    """``(gas_basis, co2e_gwp, co2_only_fossil)`` of one row: how its gas columns were made
    (:data:`GAS_BASES`, None when it has only ``co2e_unsplit``), the GWP vintage of its
    ``co2e_unsplit`` (:data:`GWP_VINTAGES`, None without one) and the part of a ``masses``
    row's ``co2_fossil`` from a CO2-only factor [kg CO2 / unit].

    Raises
    ------
    SourceError
        ``file:line``: an unknown ``gas_basis`` or ``co2e_gwp``; ``gas_basis`` on a row with no
        gas column; ``co2_only`` on a row with a gas other than CO2; ``co2e_unsplit`` without
        ``co2e_gwp``, or ``co2e_gwp`` without ``co2e_unsplit``; ``co2_only_fossil`` that is not
        a number in 0..co2_fossil, or on a row that is not ``masses``.
    """
    gas_text = (record.get("gas_basis") or "").strip().lower()
    gwp_text = (record.get("co2e_gwp") or "").strip()
    gas_columns = [c for c in gases if c != "co2e_unsplit"]
    if gas_text and gas_text not in GAS_BASES:
        raise SourceError(path, line, f"gas_basis = {gas_text!r} is not one of {', '.join(GAS_BASES)} "
                          "(blank = masses; see databases/README.md)")
    if gas_text and not gas_columns:
        raise SourceError(path, line, f"gas_basis = {gas_text!r} but the row has no gas column, only co2e_unsplit: "
                          "leave gas_basis blank and state co2e_gwp")
    if gas_text == "co2_only":
        other = [c for c in gas_columns if c not in ("co2_fossil", "co2_biogenic", "co2_dluc")]
        if other:
            raise SourceError(path, line, f"gas_basis = 'co2_only' but {', '.join(other)} is filled: a CO2-only "
                              "row has no other gas; use gas_basis = masses")
    vintage = {v.lower(): v for v in GWP_VINTAGES}.get(gwp_text.lower())
    if gwp_text and vintage is None:
        raise SourceError(path, line, f"co2e_gwp = {gwp_text!r} is not one of {', '.join(GWP_VINTAGES)}")
    if "co2e_unsplit" in gases and vintage is None:
        raise SourceError(path, line, "co2e_unsplit is filled but co2e_gwp is empty: state the GWP vintage of the "
                          f"pre-aggregated CO2e ({', '.join(GWP_VINTAGES)}; unknown when the source does not say)")
    if vintage is not None and "co2e_unsplit" not in gases:
        raise SourceError(path, line, f"co2e_gwp = {gwp_text!r} but co2e_unsplit is empty: the vintage belongs to "
                          "pre-aggregated CO2e only")
    gas_basis = (gas_text or "masses") if gas_columns else None
    return gas_basis, vintage, _co2_only_fossil(path, line, record, gases, gas_basis)


def _co2_only_fossil(path: Path, line: int, record: dict, gases: dict, gas_basis: str | None) -> float:
    """The ``co2_only_fossil`` of a row [kg CO2 / unit], 0 when blank; SourceError otherwise."""
    text = (record.get("co2_only_fossil") or "").strip()
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise SourceError(path, line, f"co2_only_fossil = {text!r} is not a number") from None
    if gas_basis != "masses":
        raise SourceError(path, line, f"co2_only_fossil is for gas_basis = masses rows (this row: {gas_basis}); "
                          "a co2_only row is CO2-only as a whole")
    if not (math.isfinite(value) and 0 <= value <= gases.get("co2_fossil", 0.0)):
        raise SourceError(path, line, f"co2_only_fossil = {text!r} must be a part of co2_fossil "
                          f"(0 .. {gases.get('co2_fossil', 0.0)} kg CO2 / {record['unit']})")
    return value


def _read_dqr(path: Path, line: int, record: dict) -> dict[str, float]:
    """The four PEF ratings of one row [-] and their mean ``dqr`` [-]; SourceError otherwise."""
    ratings: dict[str, float] = {}
    for column in DQR_COLUMNS:
        text = (record.get(column) or "").strip()
        if not text:
            raise SourceError(path, line, f"empty {column!r}; every row needs an integer rating 1..5 "
                              f"in {', '.join(DQR_COLUMNS)} (see databases/README.md)")
        try:
            value = int(text)
        except ValueError:
            raise SourceError(path, line, f"{column} = {text!r} is not an integer; use 1 (best) .. 5 (worst)") from None
        if not 1 <= value <= 5:
            raise SourceError(path, line, f"{column} = {value} is out of range; use 1 (best) .. 5 (worst)")
        ratings[column.removeprefix("dqr_")] = value
    ratings["dqr"] = sum(ratings.values()) / len(DQR_COLUMNS)
    return ratings


def write_open_default(bd, path: Path = SOURCE, database: str = DATABASE) -> int:
    """Write a background table (the open default by default) as a Brightway database.

    Parameters
    ----------
    bd : module
        ``bw2data`` with ``biosphere3`` written.
    path : Path
        The source table (columns of ``databases/README.md``).
    database : str
        Brightway database name; ``pcf-open-default`` for the open default. A model selects
        another with ``study.background: <name>``.

    Returns
    -------
    int
        Number of activities written.

    Raises
    ------
    SourceError, BackgroundError
        Invalid table, or a gas flow missing from biosphere3.
    """
    rows = read_rows(path)
    bio = {(f["name"], tuple(f["categories"])): f.key for f in bd.Database("biosphere3")}
    data = {}
    for row in rows:
        amounts: dict[tuple, float] = {}
        basic: dict[tuple, float] = {}  # largest basic variance of the columns feeding a flow
        for column, value in row.gases.items():
            flow = GAS_FLOWS[column]
            if flow not in bio:
                raise BackgroundError(f"biosphere3 has no flow {flow[0]!r} {flow[1]} (column {column})")
            amounts[bio[flow]] = amounts.get(bio[flow], 0.0) + value
            basic[bio[flow]] = max(basic.get(bio[flow], 0.0), BASIC_VARIANCE[column])
        exchanges = [{"input": (database, row.key), "amount": 1.0, "type": "production"}]
        pedigree = dict(zip(("reliability", "completeness", "temporal correlation", "geographical correlation",
                             "further technological correlation"), dqr_pedigree(row.dqr)))
        exchanges += [{"input": key, "amount": amount, "type": "biosphere",
                       # lognormal around the amount (its median), GSD derived from the DQR (a proxy)
                       "uncertainty type": 2, "loc": math.log(amount), "scale": exchange_sigma(row.dqr, basic[key]),
                       "pedigree": pedigree, "pcf_basic_variance": basic[key]}
                      for key, amount in amounts.items()]
        data[(database, row.key)] = {
            "name": row.name,
            "reference product": row.reference_product,
            "unit": row.unit,
            "location": row.location,
            "year": row.year,
            "source": row.source,
            "note": row.note,
            "factor_ids": row.factor_ids,
            "gwp_note": row.gwp_note,
            "pcf_gas_basis": row.gas_basis,
            "pcf_co2e_gwp": row.co2e_gwp,
            "pcf_co2e_unsplit": row.gases.get("co2e_unsplit", 0.0),
            "pcf_co2_only_fossil": row.co2_only_fossil,
            "aircraft": row.aircraft,
            "dqr_ter": int(row.dqr["ter"]),
            "dqr_ger": int(row.dqr["ger"]),
            "dqr_tir": int(row.dqr["tir"]),
            "dqr_p": int(row.dqr["p"]),
            "dqr": float(row.dqr["dqr"]),
            "type": "process",
            "exchanges": exchanges,
        }
    db = bd.Database(database)
    meta = {"description": f"pcf background table {path.name}", "pcf_sha256": source_sha256(path),
            "pcf_kind": "table", "pcf_table_format": TABLE_FORMAT}
    db.register(**meta)
    from ..core.bw import quiet

    with quiet():
        db.write(data)
    # register() keeps the metadata of a database that exists: state the new hash and format
    bd.databases[database] = {**bd.databases[database], **meta}
    return len(data)
