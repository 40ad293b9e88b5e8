"""The footprint result and its JSON form (``pcf-result/1``, docs/result-json.md)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..files import output_stem, write_atomic

GHG_CATEGORIES = ("fossil", "biogenic_emissions", "biogenic_removals", "dluc")
"""Disjoint ISO 14067:2018 7.3 categories; they sum to the total. ``aircraft`` is reported
as an "of which" part of ``fossil``."""


@dataclass
class FootprintResult:
    """Carbon footprint of a product system.

    Attributes
    ----------
    product : dict
        ``{id, name, reference_flow: {amount, unit}, declared_unit: {unit, description,
        per_reference_flow} or None}``.
    study : dict
        ``{standard, boundary, pcr, method, background}`` of the model.
    parameters : dict of str to float
        Parameter values used.
    total_kg_co2e : float
        GHG emissions and removals per reference flow [kg CO2e].
    per_declared_unit_kg_co2e : float or None
        Total per declared unit [kg CO2e / declared unit].
    stages : dict of str to float
        Per life-cycle stage [kg CO2e / reference flow]; sums to the total.
    ghg : dict of str to float
        ``fossil, biogenic_emissions, biogenic_removals, dluc`` (summing to the total) and
        ``aircraft`` (part of fossil) [kg CO2e / reference flow], ISO 14067:2018 7.3.
    biogenic_carbon : dict
        ``co2_emissions_kg``, ``co2_removals_kg``: masses of biogenic CO2 emitted and taken up
        [kg CO2 / reference flow]; ``net_kg_co2e``: biogenic emissions + removals [kg CO2e /
        reference flow]; ``content_product_kg_c``, ``content_packaging_kg_c``: biogenic carbon
        content of the product and its packaging [kg C / reference flow, None when the model
        does not state it] and ``content_product_kg_co2e``, ``content_packaging_kg_co2e``, the
        CO2 they correspond to (x ``content_co2_per_c`` = 44.009 / 12.011 [kg CO2 / kg C]);
        ``content_source``. The content is reported, never added to a total (ISO 14067:2018
        6.4.9, 7.3).
    totals : dict
        ``including_biogenic`` (= ``total_kg_co2e``), ``excluding_biogenic`` (biogenic CO2
        emissions and removals left out), ``declared`` [kg CO2e / reference flow];
        ``declared_total`` (which of the two the rule declares) and ``dluc_included``;
        ``per_declared_unit`` (the three figures [kg CO2e / declared unit], None without a
        declared unit);
        ``shares`` of ``fossil, aircraft, biogenic_emissions, biogenic_removals, dluc`` in the
        total [-]; ``rule`` ``{declared_total, dluc_included, description, clause, confidence,
        source, note}``: the PCR's ``ghg_accounting`` or the standard's default
        (:mod:`pcf.lca.biogenic`).
    contributions : list of dict
        ``{process|background, name, stage, kind, kg_co2e, share}``, largest magnitude first;
        sums to the total.
    cut_off : list of dict
        Inputs excluded from the system: ``{process, name, amount, unit, reason,
        amount_per_process_output, process_output, mass_share, energy_share, proxy,
        kg_co2e_estimate, ghg_share}``; ``amount`` is per reference flow (the model's amount
        times the process's activity level and allocated share); ``mass_share`` /
        ``energy_share`` are of the process's mass / energy input [0..1, None when not that
        dimension]; ``kg_co2e_estimate`` [kg CO2e / reference flow] and ``ghg_share`` come from
        the proxy (None without one).
    data_sources : list of dict
        Every background activity drawn directly by the foreground: ``{background (code),
        database, model_reference, name, reference_product, unit, location, year, source,
        note, factor_ids, dqr, kg_co2e_per_unit, amount, kg_co2e}``; ``amount`` [unit] and
        ``kg_co2e`` are per reference flow; ``dqr`` is the PEF rating ``{ter, ger, tir, p,
        dqr}`` when the database states one, else None.
    method, method_name, background : str, list, str
        Characterisation method id and Brightway name; background name.
    provenance : dict
        Background version and hash, Brightway versions, method description.
    software_version, model_sha256, model_file, created_at : str
    assessment : dict or None
        PCR assessment (:func:`pcf.pcr.assess`), when the study names a PCR.
    cut_off_summary : dict
        ``{criteria, estimated_kg_co2e, estimated_share, not_estimated, findings: [{severity,
        item, message, fix}]}``: the study's cut-off criteria (ISO 14067:2018 6.3.4.3) and
        where the exclusions break them.
    transport : list of dict
        Transport legs: ``{process, name, mode, distance_km, mass_kg (chargeable, per run),
        volume_m3, tkm, activity, database, aircraft, kg_co2e}``; ``tkm`` and ``kg_co2e`` per
        reference flow. They are also inside ``contributions``; aircraft legs are in
        ``ghg.aircraft`` (ISO 14067:2018 7.3 e).
    allocation : list of dict
        One entry per multi-output process (ISO 14067:2018 6.4.6): ``{process, name, method,
        justification, basis_unit, products: [{id, name, amount, unit, basis, factor}],
        credits: [{coproduct, avoided, amount, unit, kg_co2e}]}``; ``factor`` is the share of
        the process's burdens a product carries; ``credits`` (system expansion) are per
        reference flow [kg CO2e, negative].
    data_quality : dict
        Primary data share and data quality rating (:mod:`pcf.lca.dataquality`):
        ``{primary_data_share [0..1], primary_data_share_percent [%], primary_kg_co2e,
        abs_kg_co2e, basis, dqr: {ter, ger, tir, p, dqr} or None, level, coverage [0..1],
        unrated_significant, items: [{process, kind, index, background, database, reference,
        name, data, emission_factor, primary_share, dqr, dqr_source, kg_co2e, weight}]}``;
        the PDS follows the PACT Methodology (Pathfinder Framework v2.0) 4.2.2 with items
        weighted by |kg CO2e|; the DQR is the |kg CO2e|-weighted PEF rating (2021/2279 Annex I
        4.6.5) of the rated items; masses per reference flow [kg CO2e].
    electricity : list of dict
        Every electricity input with its source (model ``electricity:``, issue 4.3):
        ``{process, process_location, stage, line, name, kwh, source (grid | direct |
        contractual), stated, region, year, mix, instrument, generator, connection, evidence,
        activity: {key, database, model_reference, name, location, year, unit},
        kg_co2e_per_kwh, kg_co2e, share}``; ``kwh`` [kWh] and ``kg_co2e`` per reference flow,
        ``kg_co2e_per_kwh`` [kg CO2e / kWh] of the linked activity. Inputs without a statement
        that link an ``electricity_*`` activity are listed as ``grid`` with ``stated: false``.
        They are also inside ``contributions``. Which sources a PCR accepts is in
        ``assessment.electricity``.
    electricity_summary : dict
        ``{total_kwh, kg_co2e, share, kg_co2e_per_kwh, by_source: {grid|direct|contractual:
        {kwh, kg_co2e}}, not_stated}`` [kWh, kg CO2e per reference flow].
    scenario : dict or None
        The scenario computed (model ``scenarios:``), None for the model as written
        (``base``): ``{name, description, parameters (the values it sets), replaced:
        [{process, input (index), from, to}], transport: [{process, leg (index), from, to}],
        locations: [{process, from, to}]}``.
        The model file and its ``model_sha256`` are the same for every scenario; the name
        tells the variants apart (and names the output files).
    use_stage : dict or None
        ``{service_life: {amount, unit}, inputs: [{process, activity, database, per, amount_per,
        unit, amount, kg_co2e}], emissions: [{process, substance, origin, per, amount_per, unit,
        amount}]}``: the product's service life and the use-stage amounts given ``per`` a time
        (``amount_per`` as stated, ``amount`` and ``kg_co2e`` per reference flow over the service
        life); None when the model states neither.
    end_of_life : list of dict
        One entry per end-of-life material (:mod:`pcf.model.endoflife`): ``{process, stage,
        material, mass_kg, approach (cut_off | cff), parameters {A, B, R1, R2, R3, Qsin/Qp,
        Qsout/Qp, LHV, XER,heat, XER,elec}, terms [{term, side, activity, database, factor,
        amount, unit, kg_co2e}], kg_co2e}``, per reference flow; credits are negative. The
        terms are inputs of their process, so they are also in ``stages`` and ``contributions``.
    uncertainty : dict or None
        Monte Carlo uncertainty assessment (ISO 14067:2018 6.4.5, 7.3), None unless
        ``pcf footprint --monte-carlo N`` ran: ``{iterations, requested, failed, seed,
        deterministic_kg_co2e, unit, mean, median, sd, se_mean, p2_5, p97_5 [kg CO2e / reference
        flow], per_declared_unit: {mean, median, sd, se_mean, p2_5, p97_5} [kg CO2e / declared
        unit] or None, sampled: {foreground_amounts, foreground_exchanges, background_exchanges:
        {database: n}, background_ranked}, drivers: [{kind, input, process, field, index,
        database, distribution, spearman, share}] (largest share first), histogram: {edges,
        counts}, background_note, method_note}`` (:mod:`pcf.lca.uncertainty`).
    declaration : dict or None
        The model's ``declaration:`` (administrative facts of a carbon-footprint declaration,
        Regulation (EU) 2023/1542 Art. 7(1)): ``{manufacturer: {name, address, contact},
        product_model, plant: {name, location, country}, conformity_declaration_id,
        study_url}``, None when the model has none.
    ghg_by_stage : dict
        ``{stage: {fossil, biogenic_emissions, biogenic_removals, dluc, aircraft [kg CO2e],
        co2_emissions_kg, co2_removals_kg [kg CO2]}}`` per reference flow: the ISO 14067 split
        and the biogenic CO2 masses of each life-cycle stage (the categories of a stage sum to
        ``stages[stage]``); the exporters use it to report cradle-to-gate figures of a
        cradle-to-grave study and the distribution stage apart.
    exchange : dict
        What the exchange formats need besides the footprint (model ``exchange:``,
        :func:`pcf.model.exchange.resolve_exchange`): ``{company: {name, ids} or None,
        product_ids, classifications, cpc, description, product_mass_kg [kg / reference flow],
        fossil_carbon_content_kg_c [kg C / reference flow], fossil_carbon_content_source,
        packaging_included, reference_period: {start, end}, geography, geography_source,
        study_url, verification}``; None where the model does not state it. Supplier
        footprints read as inputs are in ``provenance.supplier_footprints`` (file, SHA-256,
        figures per unit, primary data share, DQI).
    batch : dict (only in results of ``pcf batch``; not a field of this class)
        ``{row, sku, model_product: {id, name}, overrides, input_sha256}``: the SKU table row,
        the SKU id (also ``product.id``), the model's own product, the parameter values of the
        row, and the hash a re-run compares (docs/batch.md). ``provenance.bw2calc_score`` is
        None in these results.
    product_system : dict
        The foreground as a graph (:mod:`pcf.lca.system_map`): ``{reference, processes: [{id,
        name, stage, location}], links: [{from, to}]}``; drawn in the report's system-boundary
        diagram with the background activities of ``contributions`` and the excluded inputs
        of ``cut_off``.
    """

    product: dict
    study: dict
    parameters: dict
    total_kg_co2e: float
    per_declared_unit_kg_co2e: float | None
    stages: dict
    ghg: dict
    biogenic_carbon: dict
    contributions: list
    cut_off: list
    data_sources: list
    method: str
    method_name: list
    background: str
    provenance: dict
    software_version: str
    model_sha256: str
    model_file: str
    created_at: str
    assessment: dict | None = field(default=None)
    allocation: list = field(default_factory=list)
    cut_off_summary: dict = field(default_factory=dict)
    transport: list = field(default_factory=list)
    data_quality: dict = field(default_factory=dict)
    electricity: list = field(default_factory=list)
    electricity_summary: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)
    scenario: dict | None = field(default=None)
    use_stage: dict | None = field(default=None)
    end_of_life: list = field(default_factory=list)
    uncertainty: dict | None = field(default=None)
    declaration: dict | None = field(default=None)
    exchange: dict = field(default_factory=dict)
    ghg_by_stage: dict = field(default_factory=dict)
    product_system: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The result as the JSON-ready dict of docs/result-json.md."""
        out = {"format": "pcf-result/1"}
        out.update(asdict(self))
        return out


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename).

    A reader never sees a half-written file, and an error leaves any previous file intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic({path: text.encode("utf-8")})
    return path


def write_result(result: FootprintResult | dict, out_dir: str | Path, indent: int | None = 2) -> Path:
    """Write ``<out_dir>/<product id>.result.json`` atomically
    (``<product id>.<scenario>.result.json`` for a scenario, :func:`pcf.files.output_stem`).
    ``indent`` None writes one line (``pcf batch``: about 5 times faster to encode).

    Returns
    -------
    Path
        The file written.
    """
    data = result.to_dict() if isinstance(result, FootprintResult) else result
    path = Path(out_dir) / f"{output_stem(data)}.result.json"
    return atomic_write_text(path, json.dumps(data, indent=indent, ensure_ascii=False) + "\n")


def read_result(path: str | Path) -> dict:
    """Read a result JSON file.

    Raises
    ------
    pcf.errors.SourceError
        Not found, not JSON, or not a ``pcf-result/1`` document.
    """
    from ..errors import SourceError

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError(path, None, "file not found") from None
    except json.JSONDecodeError as exc:
        raise SourceError(path, exc.lineno, f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("format") != "pcf-result/1":
        raise SourceError(path, 1, "not a pcf result (expected \"format\": \"pcf-result/1\"); write one with `pcf footprint`")
    return data
