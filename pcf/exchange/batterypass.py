"""Battery Pass carbon-footprint attributes (DIN DKE SPEC 99100; Battery Pass data model
``io.BatteryPass.CarbonFootprint`` 1.2.0).

==================================  ==============================================================
Battery Pass attribute              pcf result
==================================  ==============================================================
``batteryCarbonFootprint``          ``totals.per_declared_unit.declared`` [kg CO2e / kWh of total
                                    energy delivered over the service life] (DIN DKE SPEC 99100 6.3.2;
                                    Reg. (EU) 2023/1542 Art. 7, Annex II)
``carbonFootprintPerLifecycleStage``  ``stages`` per kWh, in the four stage names: raw material
                                    acquisition -> ``RawMaterialExtraction``, production ->
                                    ``MainProduction``, distribution -> ``Distribution``, end of
                                    life -> ``Recycling`` (6.3.3 - 6.3.6); the use stage is outside
                                    the regulation's boundary and refused
``carbonFootprintPerformanceClass`` ``assessment.performance_class.class`` (6.3.7): only a graded
                                    result has one (a PCR grades a conforming result only);
                                    ``allow_ungraded`` writes ``not graded`` instead, for a preview
``carbonFootprintStudy``            ``exchange.study_url`` or the ``study_url`` argument (6.3.8)
``absoluteCarbonFootprint``         ``totals.declared`` per battery [kg CO2e] (6.3.10), when the
                                    reference flow is counted in items
==================================  ==============================================================
"""

from __future__ import annotations

import math

from ..errors import ExchangeError
from .common import exchange_data, rounded

STAGES = {"raw_material_acquisition": "RawMaterialExtraction", "production": "MainProduction",
          "distribution": "Distribution", "end_of_life": "Recycling"}
"""pcf life-cycle stage -> Battery Pass ``LifecycleStage`` (enum of the 1.2.0 schema)."""


NOT_GRADED = "not graded"
"""The class text of an ungraded preview (``allow_ungraded``)."""


def battery_pass(result: dict, study_url: str | None = None, allow_ungraded: bool = False) -> dict:
    """The result as Battery Pass ``CarbonFootprintForBatteries`` 1.2.0 attributes.

    Parameters
    ----------
    result : dict
        A ``pcf-result/1`` dict whose declared unit is an energy (kWh of total energy delivered
        over the service life).
    study_url : str, optional
        Web link to the public CFP study; default ``exchange.study_url`` (or the model's
        ``declaration.study_url``).
    allow_ungraded : bool
        Write ``not graded`` as the class of a result the PCR did not grade (a preview of a
        passport whose declaration does not conform yet) instead of refusing.

    Returns
    -------
    dict
        Valid against ``CarbonFootprintForBatteries-schema.json``; figures per kWh [kg CO2e/kWh]
        except ``absoluteCarbonFootprint`` [kg CO2e per battery].

    Raises
    ------
    ExchangeError
        The declared unit is not an energy; no performance class (no PCR assessment with classes,
        or a result the PCR did not grade because it does not conform, unless ``allow_ungraded``);
        no study link; a use stage with burdens; or a declared figure
        that is not the ISO 14067 total the stages add up to (a PCR that leaves dLUC or biogenic
        CO2 out: the stage values would not sum to it).
    """
    from ..errors import UnitError
    from ..model.units import conversion_factor

    product = result["product"]
    du = product.get("declared_unit")
    try:
        per_kwh = 1.0 / conversion_factor(du["unit"], "kWh") if du else None
    except UnitError:
        per_kwh = None
    if per_kwh is None:
        raise ExchangeError("the Battery Pass declares kg CO2e per kWh of total energy delivered over the service life "
                            f"(Reg. (EU) 2023/1542 Annex II); this result's declared unit is "
                            f"{du['unit'] if du else 'missing'}: a battery model declares kWh")
    totals = result.get("totals") or {}
    declared = (totals.get("per_declared_unit") or {}).get("declared", result.get("per_declared_unit_kg_co2e"))
    per_ref = du["per_reference_flow"]
    iso = result["total_kg_co2e"] / per_ref
    if not math.isclose(declared, iso, rel_tol=1e-9, abs_tol=1e-12):
        raise ExchangeError(f"the declared figure ({declared:.6g}) is not the ISO 14067 total ({iso:.6g}) the stage values "
                            "add up to; pcf has no per-stage split of biogenic CO2 and dLUC to declare the stages on "
                            "the PCR's basis")
    assessment = result.get("assessment") or {}
    pc = assessment.get("performance_class") or {}
    cls = pc.get("class")
    if not cls:
        if pc and pc.get("graded") is False:
            if not allow_ungraded:
                pcr = assessment.get("pcr") or {}
                raise ExchangeError(f"the result is not graded ({pc.get('reason') or 'it does not conform'}: PCR "
                                    f"{pcr.get('id')} {pcr.get('version', '')}); the Battery Pass carries the performance "
                                    "class of a conforming declaration: fix the nonconformities (pcf check), or pass "
                                    "--ungraded for a preview marked 'not graded'")
            cls = NOT_GRADED
        else:
            raise ExchangeError("the Battery Pass needs the carbon-footprint performance class: assess the result "
                                "against a PCR with performance classes (study.pcr: eu-battery-cfb-ev)")
    url = study_url or exchange_data(result).get("study_url") or (result.get("declaration") or {}).get("study_url")
    if not url:
        raise ExchangeError("the Battery Pass needs a web link to the public CFP study: set exchange.study_url in the "
                            "model or pass --study-url")
    stages = []
    for stage, kg in result["stages"].items():
        if stage == "use":
            if abs(kg) > 1e-12:
                raise ExchangeError("the use stage is outside the battery carbon footprint (Reg. (EU) 2023/1542 "
                                    "Annex II point 4): model it apart")
            continue
        stages.append({"lifecycleStage": STAGES[stage], "carbonFootprint": rounded(kg / per_ref * per_kwh)})
    doc = {
        "batteryCarbonFootprint": rounded(declared * per_kwh),
        "carbonFootprintPerLifecycleStage": stages,
        "carbonFootprintPerformanceClass": str(cls),
        "carbonFootprintStudy": url,
    }
    ref = product["reference_flow"]
    try:
        items = ref["amount"] * conversion_factor(ref["unit"], "item")
    except UnitError:
        items = None
    if items:
        doc["absoluteCarbonFootprint"] = rounded(totals.get("declared", result["total_kg_co2e"]) / items)
    return doc
