"""The result JSON of every example equals, field by field, the one main wrote before issue 13.

Issue 13 moved the footprint result from one shared dict into typed objects (result,
assessment, declaration) with one JSON codec; it must not change a number or a key. The
golden files in ``tests/golden/`` were written by main at commit eae0ab8 (before that change)
with ``tests/golden/generate.py``; only ``created_at`` (the clock) and ``software_version``
may differ. Floats are compared to rel 1e-12 (a few ulp: another CPU's BLAS may round the
last digit differently); strings, keys, list lengths, None and booleans exactly.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(GOLDEN))

from generate import CASES, compute  # noqa: E402

IGNORED = {"created_at", "software_version"}

# Keys issue 14 adds to every result (not in the golden files); only their presence is
# allowed ([*] = any list index), every other key and number is still compared.
NEW_KEYS = {
    "$.provenance.method_sha256",  # issue 14 part 6: hash of the method's factors, checked by `pcf recompute`
    "$.uncertainty.defaults",  # issue 14 part 5: default uncertainty of amounts without uncertainty: (below)
    # issue 14 part 2 (GWP basis of every figure); values checked by hand in tests/test_gwpbasis.py
    "$.gwp_basis_summary", "$.data_sources[*].gwp_basis",
    # issue 14 part 4 (model lint): `pcf footprint` lists the model lint findings (docs/result-json.md);
    # values checked by hand in tests/test_lint.py
    "$.lint",
    # issue 18 part 2 (Monte Carlo on large backgrounds): how the sampled systems were solved
    # (iterations, exact-LU fallbacks); checked in tests/test_uncertainty_large.py
    "$.uncertainty.solver",
}
# Issue 14 part 2 added the columns gas_basis, co2e_gwp, co2_only_fossil to
# databases/open-default.csv (and renamed gwp_basis to gwp_note): its content hash changes
# (databases/README.md, "Table hash"), no figure of it. The golden files' old hash (and its
# 12-character short form) is read as the table's current hash; nothing else is replaced.
OPEN_DEFAULT_SHA256_BEFORE_ISSUE14 = "6c77b3cad0789adf8b328ff1710b2c7171818193dee9a19e83bead60756edaa6"


def golden_text(text: str) -> str:
    """The golden JSON text with the open default's pre-issue-14 hash replaced by today's."""
    from pcf.background.opendefault import source_sha256

    now = source_sha256()
    old = OPEN_DEFAULT_SHA256_BEFORE_ISSUE14
    return text.replace(old, now).replace(f"sha256:{old[:12]}", f"sha256:{now[:12]}")

# Issue 14 part 5 (default uncertainty): the Monte Carlo now samples amounts without
# `uncertainty:` with a default lognormal from their data quality, which changes every statistic
# of the `nmc811-pack.mc` case (its interval widens from about -4/+4 % to -8/+9 %). That case is
# computed here with default_uncertainty=False (`--no-default-uncertainty`, pcf's behaviour
# before), so it still compares every number of the golden file; its one new key,
# `uncertainty.defaults` ({"applied": false, ...}), is allowed above. The defaults themselves
# are tested in tests/test_uncertainty_defaults.py.
CASE_ARGS = {"nmc811-pack.mc": {"default_uncertainty": False}}


# Issue 14 part 2: every shipped PCR now has a `gwp_basis:` threshold, so an assessed case may
# hold one new finding with rule "gwp-basis" (observation; checked in tests/test_pcr_rules.py and
# tests/test_examples.py). Only findings of that rule are dropped before comparing.
NEW_FINDING_RULES = {"gwp-basis"}


def without_new_findings(result: dict) -> dict:
    """``result`` without the assessment findings of :data:`NEW_FINDING_RULES`."""
    assessment = result.get("assessment")
    if isinstance(assessment, dict) and isinstance(assessment.get("findings"), list):
        kept = [f for f in assessment["findings"] if f.get("rule") not in NEW_FINDING_RULES]
        result = {**result, "assessment": {**assessment, "findings": kept}}
    return result


# --- issue 14 part 1 (EF 3.1 climate change) ------------------------------------------------
# The three battery examples now declare ef-3.1-climate-change, which PCR eu-battery-cfb-ev 0.4
# requires; its declared total is excluding_biogenic (EF 3.1 counts biogenic CO2 and its uptake
# 0). No figure changes: the examples emit no biogenic CO2, and EF 3.1 has the AR6 factors of
# IPCC 2021 for every gas they emit (pcf.background.methods). The golden files (IPCC 2021, PCR
# 0.3) are adjusted here to exactly what must differ; every number is still compared.
EF31_MODELS = {"examples/battery/nmc811-pack.yaml", "examples/battery/lfp-pack.yaml",
               "examples/battery/nmc622-pack.yaml"}
EF31_PCR = "eu-battery-cfb-ev"


def issue14_ef31(case: dict, expected: dict, bd) -> dict:
    """``expected`` (a golden result) as issue 14 part 1 changes it, from its own figures."""
    import hashlib

    from pcf.background import method_spec
    from pcf.declaration.accounting import rule_for
    from pcf.pcr import load_pcr

    if case["model"] not in EF31_MODELS:
        return expected
    expected["model_sha256"] = hashlib.sha256((ROOT / case["model"]).read_bytes()).hexdigest()  # method line edited
    if "method" not in case:
        spec = method_spec("ef-3.1-climate-change")
        expected["method"] = expected["study"]["method"] = spec.id
        expected["method_name"] = list(spec.name)
        expected["provenance"].update(method_label=spec.label, method_source=list(spec.source),
                                      method_description=bd.methods[spec.name]["description"])
        g, co2, per = expected["ghg"], expected["biogenic_carbon"]["co2_emissions_kg"], \
            expected["product"]["declared_unit"]["per_reference_flow"]
        parts = [expected["totals"]["excluding_biogenic"], g["fossil"], g["biogenic_emissions"] - co2, g["dluc"]]
        expected["sub_indicators"] = [{"indicator": i, "method": list(m), "kg_co2e": v, "per_declared_unit": v / per,
                                       "share": v / parts[0]} for (i, m), v in zip(spec.sub_indicators, parts)]
    if case.get("pcr_id", EF31_PCR) == EF31_PCR:
        pcr = load_pcr(EF31_PCR)
        rule = rule_for(pcr).to_dict()
        a = expected["assessment"]
        a["pcr"]["version"] = pcr.version
        for where in (expected["totals"], a["declared_total"]):
            where.update(declared_total=rule["declared_total"], rule=rule)
        a["findings"] = [f for f in a["findings"] if f["rule"] != "method-characterisation"]  # PCR 0.4 has none
        for f in a["findings"]:
            if f["rule"] == "method":  # another method than the PCR's: it names the one now required
                f.update(clause=pcr.method.clause, fix=f"Set study.method: {pcr.method.id} in the model and compute "
                                                       "it again.",
                         message=f.get("message", "").replace("'ipcc-2021-gwp100'.", f"'{pcr.method.id}'."))
    return expected


# --- issue 16 part 4 (product ids as the PACT Technical Specifications recommend) ----------------
# The NMC811 and PV examples' exchange.product_ids moved from the invented namespace
# urn:pcf:example:product-id:<SKU> to the recommended custom form urn:pact:example.com:supplier-id:<SKU>
# (a comment line above each reworded, same line count, so every `line` in the results stays). The
# golden files are adjusted to exactly that: those ids, and the hash of the edited model file.
ISSUE16_ID_MODELS = {"examples/battery/nmc811-pack.yaml", "examples/pv/mono-si-module-cn.yaml"}


def issue16_product_ids(case: dict, expected: dict) -> dict:
    """``expected`` (a golden result) with the product ids and model hash of issue 16 part 4."""
    import hashlib

    if case["model"] not in ISSUE16_ID_MODELS:
        return expected
    expected["model_sha256"] = hashlib.sha256((ROOT / case["model"]).read_bytes()).hexdigest()
    exchange = expected.get("exchange") or {}
    if exchange.get("product_ids"):
        exchange["product_ids"] = [i.replace("urn:pcf:example:product-id:", "urn:pact:example.com:supplier-id:")
                                   for i in exchange["product_ids"]]
    return expected


# --- issue 18 part 3 (cached backgrounds) -----------------------------------------------------
# The background is now characterised on its own (one LU of its A^T, cached in PCF_HOME), no
# longer together with the foreground's columns. A figure that is exactly zero (the PV examples
# draw no biogenic CO2) came out of the old combined LU as rounding noise of about 1e-16 kg; it is
# now 0.0. Only that is allowed: a golden value below ZERO_NOISE in magnitude equal to an exact
# 0.0 now. Every other number is compared as before.
ZERO_NOISE = 1e-12


def differences(expected, actual, path: str = "$") -> list[str]:
    """Every place where ``actual`` differs from ``expected`` (JSON values), as ``path: what``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual), key=str):
            if path == "$" and key in IGNORED:
                continue
            pattern = re.sub(r"\[\d+\]", "[*]", f"{path}.{key}")
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            elif key not in expected:
                if pattern not in NEW_KEYS:
                    out.append(f"{path}.{key}: unexpected key")
            else:
                out += differences(expected[key], actual[key], f"{path}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(actual)} items, expected {len(expected)}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in differences(e, a, f"{path}[{i}]")]
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        return [] if expected is actual or expected == actual and type(expected) is type(actual) else \
            [f"{path}: {actual!r}, expected {expected!r}"]
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if actual == 0.0 and abs(expected) < ZERO_NOISE:  # issue 18 part 3: noise around zero, above
            return []
        return [] if math.isclose(expected, actual, rel_tol=1e-12, abs_tol=1e-300) else \
            [f"{path}: {actual!r}, expected {expected!r}"]
    return [] if expected == actual else [f"{path}: {actual!r}, expected {expected!r}"]


def test_the_comparison_finds_what_differs():
    golden = {"a": [1.0, {"b": "x"}], "c": None, "created_at": "then"}
    assert differences(golden, {"a": [1.0, {"b": "x"}], "c": None, "created_at": "now"}) == []
    assert differences(golden, {"a": [1.0 + 1e-9, {"b": "y"}], "c": 0.0}) == [
        "$.a[0]: 1.000000001, expected 1.0", "$.a[1].b: 'y', expected 'x'", "$.c: 0.0, expected None"]
    assert differences({"a": 1}, {"b": 1}) == ["$.a: missing", "$.b: unexpected key"]
    # issue 18 part 3: rounding noise around an exact zero, and only that
    assert differences({"x": -1.3e-16}, {"x": 0.0}) == []
    assert differences({"x": 0.0}, {"x": 1.3e-16}) == ["$.x: 1.3e-16, expected 0.0"]
    assert differences({"x": 1e-11}, {"x": 0.0}) == ["$.x: 0.0, expected 1e-11"]
    assert differences({"provenance": {}}, {"provenance": {"method_sha256": "ab"}}) == []  # NEW_KEYS
    assert differences({"study": {}}, {"study": {"method_sha256": "ab"}}) == ["$.study.method_sha256: unexpected key"]
    # issue 14 part 2: only the listed new keys may appear, and only there
    assert differences({"data_sources": [{}]}, {"data_sources": [{"gwp_basis": {}}], "gwp_basis_summary": {}}) == []
    assert differences({"data_sources": [{}]}, {"data_sources": [{"gwp_basis": {}, "x": 1}]}) == [
        "$.data_sources[0].x: unexpected key"]
    assert differences({"a": {}}, {"a": {"gwp_basis_summary": 1}}) == ["$.a.gwp_basis_summary: unexpected key"]
    findings = [{"rule": "method"}, {"rule": "gwp-basis"}, {"rule": "report-content"}]
    assert without_new_findings({"assessment": {"findings": findings}}) == {
        "assessment": {"findings": [{"rule": "method"}, {"rule": "report-content"}]}}


# Issue 17 part 5 (pcf's supplement gases, pcf/background/supplement.py): ipcc-2021-gwp100 now
# also characterises HFC-245fa and HFC-143 on flows pcf adds to biosphere3, and its description
# (provenance.method_description) names them and their source. No example emits them: no figure
# changes, only this text (and method_sha256, a NEW_KEY) does.
ISSUE17_SUPPLEMENT = (
    "; pcf's additions (gases biosphere3 lacks, on flows pcf adds to it): Propane, 1,1,1,3,3-pentafluoro-, "
    "HFC-245fa 962, Ethane, 1,1,2-trifluoro-, HFC-143 364 from IPCC AR6 WG1 Chapter 7 Supplementary Material, "
    "Table 7.SM.7 (Smith et al. 2021, doi:10.1017/9781009157896.009 supplementary material)")


def issue17_supplement(expected: dict) -> dict:
    """The golden result with the IPCC 2021 method's description as it reads since issue 17."""
    prov = expected.get("provenance", {})
    if str(prov.get("method_description", "")).startswith("IPCC 2021 (AR6) GWP100:"):
        prov["method_description"] += ISSUE17_SUPPLEMENT
    return expected


# --- issue 20 part 1 (the one number policy, pcf/core/numbers.py) ---------------------------
# The assessment's human texts (finding messages of pcf/pcr/assess.py, the `found` text of the
# contents checklist of pcf/pcr/contents.py) are stored in the result JSON and shown on reports;
# they now write numbers as every other text a person reads: amounts as given by
# numbers.amount (thousands separators, up to 6 significant figures: 7526.91 -> 7,526.91), results
# by numbers.figure (4 significant figures, trailing zeros kept: 0.197 -> 0.1970), never '%g' /
# '%.4g' / '%.6g' (which write 1.234e+04 from 10,000 up). Exactly these texts of these cases
# changed; each allowance must find its old text exactly once (so a stale one fails too), and
# everything else, this text after the replacement included, is compared as before.
ISSUE20_NUMBER_TEXTS = [  # (case, field, old text, new text); a field's text contains `old` once
    ("mono-si-module-cn-c2g.pv-module", "message", "The model gives 7526.91 kWp per reference flow",
     "The model gives 7,526.91 kWp per reference flow"),
    ("nmc811-pack.cn-label", "message", "The model's 11280 kWh per reference flow is accepted as stated.",
     "The model's 11,280 kWh per reference flow is accepted as stated."),
    ("nmc811-pack.plant_cn_southwest", "found", "0.197 kg CO2e/kWh", "0.1970 kg CO2e/kWh"),
    ("lfp-pack.plant_pl", "found", "0.232 kg CO2e/kWh", "0.2320 kg CO2e/kWh"),
]


def issue20_number_texts(case: dict, expected: dict) -> dict:
    """The golden result with the assessment texts of :data:`ISSUE20_NUMBER_TEXTS` as the number
    policy writes them; raises AssertionError when an allowance's old text is not found once."""
    assessment = expected.get("assessment") or {}
    contents = assessment.get("contents") or {}
    places = {"message": assessment.get("findings") or [],
              "found": [i for items in contents.values() for i in items or ()]}
    for name, field, old, new in ISSUE20_NUMBER_TEXTS:
        if name != case["name"]:
            continue
        hits = [x for x in places[field] if old in str(x.get(field) or "")]
        assert len(hits) == 1 and hits[0][field].count(old) == 1, f"issue 20 allowance {old!r}: {len(hits)} hits"
        hits[0][field] = hits[0][field].replace(old, new)
    return expected


def test_the_issue20_allowance_changes_only_its_texts():
    golden = {"assessment": {"findings": [{"message": "The model's 11280 kWh per reference flow is accepted as "
                                                      "stated.", "fix": "11280"}],
                             "contents": {"declaration": [{"found": "11280"}]}}}
    changed = issue20_number_texts({"name": "nmc811-pack.cn-label"}, json.loads(json.dumps(golden)))
    assert changed["assessment"]["findings"] == [{"message": "The model's 11,280 kWh per reference flow is "
                                                             "accepted as stated.", "fix": "11280"}]
    assert changed["assessment"]["contents"] == golden["assessment"]["contents"]
    assert issue20_number_texts({"name": "nmc622-pack"}, json.loads(json.dumps(golden))) == golden
    with pytest.raises(AssertionError, match="1 hits|0 hits"):
        issue20_number_texts({"name": "lfp-pack.plant_pl"}, json.loads(json.dumps(golden)))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_example_result_equals_the_golden_file(case, open_default, monkeypatch):
    monkeypatch.chdir(ROOT)  # model_file is stored as the path given, relative to the repository
    expected = json.loads(golden_text(gzip.decompress((GOLDEN / f"{case['name']}.result.json.gz").read_bytes()).decode()))
    expected = issue17_supplement(issue16_product_ids(case, issue14_ef31(case, expected, open_default)))
    expected = issue20_number_texts(case, expected)
    actual = json.loads(json.dumps(compute({**case, **CASE_ARGS.get(case["name"], {})}), ensure_ascii=False))
    found = differences(expected, without_new_findings(actual))
    assert not found, f"{len(found)} differences, first: " + "; ".join(found[:10])


def test_nmc811_with_ipcc_2021_still_equals_its_golden_file(open_default, monkeypatch):
    """Issue 14 part 1: the NMC811 golden file was computed with ipcc-2021-gwp100; computed with
    that method again (``--method ipcc-2021-gwp100``) every figure is the same. What differs is
    only what the EU rule 0.4 changed (issue14_ef31: its version and declared-total rule, the
    model file's hash) and that it now finds this method nonconforming (one ``method`` finding
    where 0.3 had its ``method-characterisation`` observation)."""
    monkeypatch.chdir(ROOT)
    case = {"name": "nmc811-pack", "model": "examples/battery/nmc811-pack.yaml", "method": "ipcc-2021-gwp100"}
    expected = json.loads(golden_text(gzip.decompress((GOLDEN / "nmc811-pack.result.json.gz").read_bytes()).decode()))
    expected = issue17_supplement(issue16_product_ids(case, issue14_ef31(case, expected, open_default)))
    actual = without_new_findings(json.loads(json.dumps(compute(case), ensure_ascii=False)))
    findings = actual["assessment"]["findings"]
    [method] = [f for f in findings if f["rule"] == "method"]
    assert method["severity"] == "nonconformity" and "'ef-3.1-climate-change'" in method["message"]
    actual["assessment"]["findings"] = [f for f in findings if f["rule"] != "method"]
    found = differences(expected, actual)
    assert not found, f"{len(found)} differences, first: " + "; ".join(found[:10])
