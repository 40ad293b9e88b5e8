"""The declaration owns the declared figure and the ``pcf-result/1`` JSON codec."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from builders import declaration, result
from pcf.core.codec import CodecError
from pcf.declaration import Declaration, read_declaration, write_declaration
from pcf.core.errors import SourceError
from pcf.declaration.accounting import AccountingRule

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.result.json.gz"))


def _rule(declared_total: str, dluc_included: bool) -> AccountingRule:
    return AccountingRule(declared_total=declared_total, dluc_included=dluc_included, description="test rule",
                          clause="test", confidence="S", source="PCR test 1")


# A product with fossil 10, biogenic emissions 3 of which 2 kg biogenic CO2 (GWP 1), uptake -4,
# dLUC 1 [kg CO2e / reference flow] and 4 declared units per reference flow:
#   including biogenic = 10 + 3 - 4 + 1 = 10
#   excluding biogenic = 10 + (3 - 2) + 1 = 12       (biogenic CO2 out, biogenic CH4 kept)
CASE = dict(fossil=10.0, biogenic_emissions=3.0, biogenic_co2_kg=2.0, biogenic_removals=-4.0, dluc=1.0,
            declared_per_reference_flow=4.0)


@pytest.mark.parametrize("declared_total, dluc_included, per_ref, per_du", [
    ("including_biogenic", True, 10.0, 2.5),
    ("including_biogenic", False, 9.0, 2.25),
    ("excluding_biogenic", True, 12.0, 3.0),
    ("excluding_biogenic", False, 11.0, 2.75),
])
def test_declared_value_follows_the_rule(declared_total, dluc_included, per_ref, per_du):
    d = declaration(rule=_rule(declared_total, dluc_included), **CASE)
    assert d.declared_value("reference_flow") == pytest.approx(per_ref, rel=1e-12)
    assert d.declared_value("declared_unit") == pytest.approx(per_du, rel=1e-12)


def test_no_declared_unit_gives_none_per_declared_unit():
    d = declaration(fossil=5.0)
    assert d.declared_value("reference_flow") == 5.0
    assert d.declared_value("declared_unit") is None
    with pytest.raises(ValueError, match="per must be"):
        d.declared_value("kg")


def test_declared_value_is_written_where_the_document_has_it():
    data = declaration(rule=_rule("excluding_biogenic", False), **CASE).to_json()
    assert data["format"] == "pcf-result/1"
    assert data["totals"]["declared"] == pytest.approx(11.0)
    assert data["totals"]["per_declared_unit"]["declared"] == pytest.approx(2.75)
    assert data["totals"]["declared_total"] == "excluding_biogenic" and data["totals"]["dluc_included"] is False
    assert data["totals"]["rule"]["source"] == "PCR test 1"
    assert data["assessment"] is None
    assert "batch" not in data


@pytest.mark.parametrize("path", GOLDEN, ids=[p.name.split(".result")[0] for p in GOLDEN])
def test_every_golden_result_reads_and_writes_back_unchanged(path):
    data = json.loads(gzip.decompress(path.read_bytes()))
    back = Declaration.from_json(data).to_json()
    assert back == data
    assert list(back) == list(data)  # and in the same key order


def test_a_file_reads_back_to_the_same_declaration(tmp_path):
    d = declaration(rule=_rule("excluding_biogenic", True), **CASE)
    written = write_declaration(d, tmp_path)
    assert written.name == "SKU-TEST.result.json"
    assert read_declaration(written) == d


def test_an_unknown_format_version_is_refused(tmp_path):
    data = declaration(**CASE).to_json()
    data["format"] = "pcf-result/2"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SourceError, match="format 'pcf-result/2' is not one this pcf reads"):
        read_declaration(path)
    with pytest.raises(CodecError, match=r"^\$\.format: 'pcf-result/2' is not a format"):
        Declaration.from_json(data)


def _ef_parts(*values: float) -> list[dict]:
    """``sub_indicators`` JSON of an EF 3.1 result with these values [kg CO2e / reference flow]."""
    names = ("climate change", "climate change: fossil", "climate change: biogenic",
             "climate change: land use and land use change")
    return [{"indicator": n, "method": ["EF v3.1", n, "global warming potential (GWP100)"], "kg_co2e": v,
             "per_declared_unit": v / 4, "share": v / values[0]} for n, v in zip(names, values)]


def test_a_consistent_ef_result_reads():
    """CASE: fossil 10, biogenic 3 of which 2 kg CO2, dLUC 1: EF 3.1 total 12 = 10 + 1 + 1."""
    data = declaration(**CASE).to_json()
    data["sub_indicators"] = _ef_parts(12.0, 10.0, 1.0, 1.0)
    assert Declaration.from_json(data).result.sub_indicators[2].kg_co2e == 1.0


@pytest.mark.parametrize("change, message", [
    (lambda d: d["totals"]["shares"].update(fossil="a lot"),
     r"\$\.totals\.shares\.fossil: expected a number or null, got a string"),
    (lambda d: d["product"].update(colour="red"), r"\$\.product\.colour: unknown field of Product"),
    (lambda d: d["ghg"].pop("dluc"), r"\$\.ghg\.dluc: missing"),
    (lambda d: d.pop("ghg"), r"\$\.ghg: missing"),  # every pcf result has had the ISO 14067 split
    (lambda d: d.update(contributions={}), r"\$\.contributions: expected a list, got an object"),
    (lambda d: d["totals"].update(declared=99.0), r"\$\.totals\.declared: 99\.0 is not the figure its rule declares"),
    (lambda d: d.update(model_sha256="not hex"), r"\$\.model_sha256: 'not hex' is not the hex digest"),
    # fossil 10 -> 11 without the totals: 10 + 3 - 4 + 1 = 10 stored, the split now gives 11
    (lambda d: d["ghg"].update(fossil=11.0), r"\$\.total_kg_co2e: 10\.0 is not what the ghg split gives \(11\.0\)"),
    (lambda d: d["totals"].update(excluding_biogenic=13.0),
     r"\$\.totals\.excluding_biogenic: 13\.0 is not what the ghg split gives \(12\.0\)"),
    # issue 14 part 1: EF 3.1's own total is excluding_biogenic (12), its parts add up to it
    (lambda d: d.update(sub_indicators=_ef_parts(13.0, 10.0, 1.0, 1.0)),
     r"\$\.sub_indicators\[0\]\.kg_co2e: 13\.0 is not what the ghg split gives \(12\.0\)"),
    (lambda d: d.update(sub_indicators=_ef_parts(12.0, 10.0, 1.0, 2.0)),
     r"\$\.sub_indicators: the parts add up to 13\.0, not to 'climate change' 12\.0"),
])
def test_a_malformed_result_names_the_json_path(tmp_path, change, message):
    data = declaration(**CASE).to_json()
    change(data)
    with pytest.raises(CodecError, match=message):
        Declaration.from_json(data)
    path = tmp_path / "bad.result.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SourceError, match="not a valid pcf result: " + message):
        read_declaration(path)


@pytest.mark.parametrize("literal, shown", [
    ("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"),
    ("1e400", "inf"), ("-1E+400", "-inf"),  # beyond the float range, json reads them as +-inf
    ("1" + "0" * 400, "inf"), ("-1" + "0" * 400, "-inf"),  # integers beyond it count as +-inf
    (str(2 * int(1.7976931348623157e308)), "inf"),  # 309 digits, twice the largest double
])
def test_a_result_with_a_number_that_is_not_finite_is_refused(tmp_path, literal, shown):
    """read_declaration notes them as json parses the numbers (_loads_noting_non_finite)."""
    text = json.dumps(declaration(**CASE).to_json()).replace('"fossil": 10.0', f'"fossil": {literal}', 1)
    path = tmp_path / "odd.result.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=rf"not a valid pcf result: \$\.ghg\.fossil: {shown} is not a finite number"):
        read_declaration(path)


def test_the_largest_double_written_as_an_integer_is_finite(tmp_path):
    # int(1.7976931348623157e308), 309 digits: within the float range, so not refused as infinite;
    # the ghg split then no longer gives the stored total
    text = json.dumps(declaration(**CASE).to_json()).replace('"fossil": 10.0',
                                                             f'"fossil": {int(1.7976931348623157e308)}', 1)
    path = tmp_path / "big.result.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=r"is not what the ghg split gives") as caught:
        read_declaration(path)
    assert "finite" not in str(caught.value)


def test_records_are_frozen():
    r = result()
    with pytest.raises(AttributeError):
        r.total_kg_co2e = 0.0  # type: ignore[misc]


def test_a_result_without_totals_declares_from_its_ghg_split():
    """Old results have no ``totals``: fossil 10 + biogenic 3 (2 kg CO2) - 4 + dLUC 1, 4 per
    reference flow: including 10, excluding 12; the excluding rule without dLUC declares 11."""
    from dataclasses import replace

    d = declaration(rule=_rule("excluding_biogenic", False), **CASE)
    old = d.replace(result=replace(d.result, totals=None))
    assert old.declared_value("reference_flow") == pytest.approx(11.0, rel=1e-12)
    assert old.declared_value("declared_unit") == pytest.approx(2.75, rel=1e-12)
