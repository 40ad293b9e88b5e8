"""Checks that a result dict (``pcf-result/1``, see docs/result-json.md) can be rendered.

Rendering is a pure function of the result, so the checks here are the only place that
decides whether a result is good enough: every fault raises :class:`~pcf.core.errors.RenderError`
naming the key and how to fix it, before anything is written.
"""

from __future__ import annotations

import math
import re

from pcf.core.errors import RenderError

RESULT_FORMAT = "pcf-result/1"

_HOW = ("render the result JSON written by `pcf footprint MODEL --out DIR` "
        f"(format {RESULT_FORMAT}, see docs/result-json.md)")

# A product id becomes a file name: letters, digits and . _ - + ( ) and spaces, CJK allowed.
_BAD_ID = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


def check_result(result: object) -> dict:
    """Check the keys of a result dict that the label and report need.

    Parameters
    ----------
    result : dict
        A ``pcf-result/1`` result (masses in [kg CO2e per reference flow]).

    Returns
    -------
    dict
        The same result, for chaining.

    Raises
    ------
    RenderError
        When the result is not a dict, has another ``format``, lacks ``product.id``,
        ``product.name``, ``product.reference_flow``, ``total_kg_co2e``, ``stages``,
        ``method`` or ``model_sha256``, has a non-finite number, or a product id or
        scenario name that cannot be a file name.
    """
    if not isinstance(result, dict):
        raise RenderError(f"the result is a {type(result).__name__}, not a dict: {_HOW}")
    fmt = result.get("format")
    if fmt is not None and fmt != RESULT_FORMAT:
        raise RenderError(f"result format is {fmt!r}, expected {RESULT_FORMAT!r}: {_HOW}")
    product = result.get("product")
    if not isinstance(product, dict):
        raise RenderError(f"result is missing 'product': {_HOW}")
    pid = product.get("id")
    if not isinstance(pid, str) or not pid.strip():
        raise RenderError(f"result is missing 'product.id' (the manufacturer's product id): {_HOW}")
    if _BAD_ID.search(pid) or pid.strip() in {".", ".."} or pid != pid.strip():
        raise RenderError(
            f"product.id {pid!r} cannot be used as a file name (no / \\ : * ? \" < > | or "
            "control characters, no leading or trailing spaces): change product.id in the model")
    scenario = result.get("scenario")
    if scenario is not None and (not isinstance(scenario, dict) or not re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9_.\-]*", str(scenario.get("name") or ""))):
        raise RenderError(f"'scenario' must be null or {{name, ...}} with a name usable in file names: {_HOW}")
    if not isinstance(product.get("name"), str) or not product["name"].strip():
        raise RenderError(f"result is missing 'product.name': {_HOW}")
    ref = product.get("reference_flow")
    if not isinstance(ref, dict) or "unit" not in ref or "amount" not in ref:
        raise RenderError(f"result is missing 'product.reference_flow' {{amount, unit}}: {_HOW}")
    _number(ref["amount"], "product.reference_flow.amount")
    declared = product.get("declared_unit")
    if declared is not None:
        if not isinstance(declared, dict) or not declared.get("unit"):
            raise RenderError(f"'product.declared_unit' must be null or have a 'unit': {_HOW}")
        _number(declared.get("per_reference_flow"), "product.declared_unit.per_reference_flow")
        _number(result.get("per_declared_unit_kg_co2e"), "per_declared_unit_kg_co2e")
    _number(result.get("total_kg_co2e"), "total_kg_co2e")
    stages = result.get("stages")
    if not isinstance(stages, dict):
        raise RenderError(f"result is missing 'stages' {{stage: kg CO2e}}: {_HOW}")
    for key, value in stages.items():
        _number(value, f"stages.{key}")
    for key, value in (result.get("ghg") or {}).items():
        _number(value, f"ghg.{key}")
    for i, item in enumerate(result.get("contributions") or []):
        _number(item.get("kg_co2e") if isinstance(item, dict) else None,
                f"contributions[{i}].kg_co2e")
    for i, item in enumerate(result.get("contributions") or []):
        if item.get("share") is not None:
            _number(item["share"], f"contributions[{i}].share")
    for i, item in enumerate(result.get("data_sources") or []):
        if not isinstance(item, dict):
            raise RenderError(f"data_sources[{i}] must be a dict: {_HOW}")
        if item.get("kg_co2e_per_unit") is not None:
            _number(item["kg_co2e_per_unit"], f"data_sources[{i}].kg_co2e_per_unit")
    for i, item in enumerate(result.get("cut_off") or []):
        if not isinstance(item, dict):
            raise RenderError(f"cut_off[{i}] must be a dict: {_HOW}")
    if not result.get("method"):
        raise RenderError(f"result is missing 'method' (e.g. ipcc-2021-gwp100): {_HOW}")
    sha = result.get("model_sha256")
    if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-fA-F]{12,64}", sha):
        raise RenderError(f"result is missing 'model_sha256' (hex digest of the model file): {_HOW}")
    _check_assessment(result.get("assessment"))
    return result


def _check_assessment(assessment: object) -> None:
    if assessment is None:
        return
    if not isinstance(assessment, dict):
        raise RenderError(f"'assessment' must be null or a dict: {_HOW}")
    for key, value in (assessment.get("stages") or {}).items():
        _number(value, f"assessment.stages.{key}")
    if not isinstance(assessment.get("findings") or [], list):
        raise RenderError(f"'assessment.findings' must be a list: {_HOW}")
    pc = assessment.get("performance_class")
    if pc is None:
        return
    if isinstance(pc, dict) and pc.get("value") is not None:
        _number(pc["value"], "assessment.performance_class.value")
    if not isinstance(pc, dict):
        raise RenderError(f"'assessment.performance_class' must be null or a dict: {_HOW}")
    for i, t in enumerate(pc.get("thresholds") or []):
        if not isinstance(t, dict) or not t.get("class"):
            raise RenderError(
                f"assessment.performance_class.thresholds[{i}] needs a 'class' and a 'max': {_HOW}")
        if t.get("max") is not None:
            _number(t["max"], f"assessment.performance_class.thresholds[{i}].max")


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RenderError(f"result key '{key}' must be a number, got {value!r}: {_HOW}")
    if not math.isfinite(value):
        raise RenderError(f"result key '{key}' is {value!r}; a finite number is needed: "
                          "check the model and recompute with `pcf footprint`")
    return float(value)
