"""Battery Pass carbon-footprint attributes (DIN DKE SPEC 99100; Battery Pass data model
``io.BatteryPass.CarbonFootprint`` 1.2.0).

==================================  ==============================================================
Battery Pass attribute              pcf result
==================================  ==============================================================
``batteryCarbonFootprint``          ``declared_value("declared_unit")`` [kg CO2e / kWh of total
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
``absoluteCarbonFootprint``         ``declared_value("reference_flow")`` per battery [kg CO2e] (6.3.10), when the
                                    reference flow is counted in items
==================================  ==============================================================

The declared figure is :meth:`pcf.declaration.Declaration.declared_value` (the PCR's accounting
rule); this module only converts it to the Battery Pass units.
"""

from __future__ import annotations

import math

from ..core import vocabulary
from ..core.errors import ExchangeError
from ..declaration import Declaration
from .common import exchange_data, rounded

STAGES = {stage: name for stage, name in zip(vocabulary.STAGES, (
    "RawMaterialExtraction", "MainProduction", "Distribution", None, "Recycling")) if name}
"""pcf life-cycle stage -> Battery Pass ``LifecycleStage`` (enum of the 1.2.0 schema); the use stage
is outside the battery carbon footprint."""


NOT_GRADED = "not graded"
"""The class text of an ungraded preview (``allow_ungraded``)."""


def battery_pass(declaration: Declaration, study_url: str | None = None, allow_ungraded: bool = False) -> dict:
    """The declaration as Battery Pass ``CarbonFootprintForBatteries`` 1.2.0 attributes.

    Parameters
    ----------
    declaration : Declaration
        A footprint result with its assessment whose declared unit is an energy (kWh of total
        energy delivered over the service life).
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
    from ..core.errors import UnitError
    from ..core.units import conversion_factor

    r = declaration.result
    du = r.product.declared_unit
    try:
        per_kwh = 1.0 / conversion_factor(du.unit, "kWh") if du is not None else None
    except UnitError:
        per_kwh = None
    if per_kwh is None:
        raise ExchangeError("the Battery Pass declares kg CO2e per kWh of total energy delivered over the service life "
                            f"(Reg. (EU) 2023/1542 Annex II); this result's declared unit is "
                            f"{du.unit if du is not None else 'missing'}: a battery model declares kWh")
    declared = declaration.declared_value("declared_unit")
    per_ref = du.per_reference_flow
    iso = r.total_kg_co2e / per_ref
    if not math.isclose(declared, iso, rel_tol=1e-9, abs_tol=1e-12):
        raise ExchangeError(f"the declared figure ({declared:.6g}) is not the ISO 14067 total ({iso:.6g}) the stage values "
                            "add up to; pcf has no per-stage split of biogenic CO2 and dLUC to declare the stages on "
                            "the PCR's basis")
    cls = _performance_class(declaration, allow_ungraded)  # checks in this order: class, link, stages
    url = _study_url(declaration, study_url)
    doc = {
        "batteryCarbonFootprint": rounded(declared * per_kwh),
        "carbonFootprintPerLifecycleStage": _stages(declaration, per_ref, per_kwh),
        "carbonFootprintPerformanceClass": str(cls),
        "carbonFootprintStudy": url,
    }
    ref = r.product.reference_flow
    try:
        items = ref.amount * conversion_factor(ref.unit, "item")
    except UnitError:
        items = None
    if items:
        doc["absoluteCarbonFootprint"] = rounded(declaration.declared_value("reference_flow") / items)
    return doc


def _performance_class(declaration: Declaration, allow_ungraded: bool) -> str:
    """The class the PCR graded the declaration with, or :data:`NOT_GRADED` for a preview."""
    cls = declaration.graded_class
    if cls:
        return cls
    assessment = declaration.assessment
    pc = assessment.performance_class if assessment is not None else None
    if pc is not None and pc.graded is False:
        if not allow_ungraded:
            raise ExchangeError(f"the result is not graded ({pc.reason or 'it does not conform'}: PCR "
                                f"{assessment.pcr.id} {assessment.pcr.version}); the Battery Pass carries the "
                                "performance class of a conforming declaration: fix the nonconformities (pcf check), or "
                                "export it ungraded for a preview marked 'not graded'").about("allow_ungraded")
        return NOT_GRADED
    raise ExchangeError("the Battery Pass needs the carbon-footprint performance class: assess the result "
                        "against a PCR with performance classes (study.pcr: eu-battery-cfb-ev)")


def _study_url(declaration: Declaration, study_url: str | None) -> str:
    """The link to the public CFP study: the argument, ``exchange.study_url`` or the model's
    ``declaration.study_url``."""
    r = declaration.result
    url = study_url or exchange_data(declaration).study_url or (r.declaration or {}).get("study_url")
    if not url:
        raise ExchangeError("the Battery Pass needs a web link to the public CFP study: set exchange.study_url in the "
                            "model or give the study URL").about("study_url")
    return url


def _stages(declaration: Declaration, per_ref: float, per_kwh: float) -> list[dict]:
    """``carbonFootprintPerLifecycleStage`` [kg CO2e / kWh]; the use stage must be empty."""
    stages = []
    for stage, kg in declaration.result.stages.items():
        if stage == "use":
            if abs(kg) > 1e-12:
                raise ExchangeError("the use stage is outside the battery carbon footprint (Reg. (EU) 2023/1542 "
                                    "Annex II point 4): model it apart")
            continue
        stages.append({"lifecycleStage": STAGES[stage], "carbonFootprint": rounded(kg / per_ref * per_kwh)})
    return stages
