"""Peer grading (issue 21 part 1): ``peer_grading:`` in a PCR, :mod:`pcf.pcr.peers`, ``pcf grade``.

Every expected number is worked by hand below. The shipped rules grade by the ratio of the
declared figure to the peer reference: level 1 ratio <= 0.8, 2 <= 1.0, 3 <= 1.2, 4 <= 1.5, 5 the
rest; cn-label-lithium-battery against the mean, eu-battery-cfb-ev against the median (cited
reference 0.25 kg CO2e/kWh); at least 10 peers each (all illustrative).

Group MEAN10 (CN, 10 peers, values that are exact binary fractions so the edges are exact):
    0.0625 0.125 0.1875 0.25 0.25 0.25 0.25 0.3125 0.375 0.4375
    sum = 0.375 + 1.0 + 0.3125 + 0.375 + 0.4375 = 2.5, mean = 0.25
    ratio = value / 0.25 = 4 x value (exact):
      0.0625 -> 0.25 level 1 | 0.2 -> 0.8 level 1 (edge, <=) | 0.25 -> 1.0 level 2 (edge)
      0.3 -> 1.2 level 3 (edge) | 0.375 -> 1.5 level 4 (edge) | 0.4 -> 1.6 level 5
    strict (<): 0.2 -> 0.8 is not < 0.8 -> level 2

Group MED10 (EU, 10 peers): 0.1 0.12 0.15 0.18 0.2 | 0.3 0.35 0.4 0.5 0.9
    median of an even count = mean of the 5th and 6th = (0.2 + 0.3) / 2 = 0.25
    mean = 3.2 / 10 = 0.32 (not used by the EU rule)
    0.3 -> 0.3 / 0.25 = 1.2 level 3 (against the mean it would be 0.9375, level 2)
Group MED11 = MED10 + 1.0: the 6th of 11 sorted values = 0.3
    0.3 -> 1.0 level 2; 0.21 -> 0.7 level 1
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from typer.testing import CliRunner

import cli
from pcf.api import grade
from pcf.core.codec import CodecError
from pcf.core.errors import PCFError, PCRError, PeerGradingError
from pcf.declaration import build_declaration, write_declaration
from pcf.pcr import load_pcr
from pcf.pcr.peers import (Peer, PeerGrade, grade_against_peers, grade_against_reference, level_of, peer_group,
                           ratio_text, reference)
from tests.builders import loop_model, result
from tests.test_pcr_rules import variant
from tests.conftest import flat

CN, EU = "cn-label-lithium-battery", "eu-battery-cfb-ev"
IPCC, EF = "ipcc-2021-gwp100", "ef-3.1-climate-change"
NOW = "2026-12-05T09:00:00Z"
MEAN10 = [0.0625, 0.125, 0.1875, 0.25, 0.25, 0.25, 0.25, 0.3125, 0.375, 0.4375]
MED10 = [0.1, 0.12, 0.15, 0.18, 0.2, 0.3, 0.35, 0.4, 0.5, 0.9]
runner = CliRunner()


def peers(values, pcr=CN, method=IPCC, unit="kWh", prefix="P") -> list[Peer]:
    return [Peer(id=f"{prefix}{i}", value=v, pcr=pcr, declared_unit=unit, method=method, conforms=True)
            for i, v in enumerate(values)]


def subject(value, pcr=CN, method=IPCC, unit="kWh", conforms=True, id="ME") -> Peer:
    return Peer(id=id, value=value, pcr=pcr, declared_unit=unit, method=method, conforms=conforms)


def graded(value, group, pcr_id=CN, **kwargs):
    pcr = load_pcr(pcr_id) if isinstance(pcr_id, str) else pcr_id
    s = subject(value, pcr=pcr.id, method=pcr.method.id, **kwargs)
    return grade_against_peers(s, group, pcr, kind="batch", source="test", date=NOW, graded_at=NOW)


# --------------------------------------------------------------------------- the numbers


def test_reference_mean_and_median_by_hand():
    assert reference(MEAN10, "mean") == 0.25
    assert reference(MED10, "median") == pytest.approx(0.25, rel=1e-15)   # (0.2 + 0.3) / 2
    assert reference(MED10, "mean") == pytest.approx(0.32, rel=1e-15)      # 3.2 / 10
    assert reference(MED10 + [1.0], "median") == 0.3                       # 6th of 11


@pytest.mark.parametrize(("value", "ratio", "level"), [
    (0.0625, 0.25, 1), (0.2, 0.8, 1), (0.25, 1.0, 2), (0.3, 1.2, 3), (0.375, 1.5, 4), (0.4, 1.6, 5)])
def test_levels_against_the_mean_at_each_edge(value, ratio, level):
    g = graded(value, peers(MEAN10))
    assert g.group.reference.value == 0.25 and g.group.reference.statistic == "mean"
    assert g.ratio == ratio and g.level == level
    assert g.group.size == 10 and g.group.includes_graded is False and g.group.conforming == 10
    assert list(g.group.distribution) == sorted(MEAN10) and len(g.levels) == 5


def test_strict_levels_put_the_edge_in_the_next_level(tmp_path):
    path, _ = variant(tmp_path, CN, "  statistic: mean\n", "  statistic: mean\n  strict: true\n")
    pcr = load_pcr(path)
    assert graded(0.2, peers(MEAN10), pcr).level == 2        # 0.8 is not < 0.8
    assert graded(0.1999, peers(MEAN10), pcr).level == 1     # 0.7996 < 0.8
    assert level_of(0.8, load_pcr(CN).peer_grading) == 1


def test_the_median_of_an_even_and_an_odd_group():
    g = graded(0.3, peers(MED10, pcr=EU, method=EF), EU)
    assert g.group.reference.statistic == "median"
    assert g.group.reference.value == pytest.approx(0.25, rel=1e-15)
    assert g.ratio == pytest.approx(1.2, rel=1e-12) and g.level == 3
    odd = peers(MED10 + [1.0], pcr=EU, method=EF)
    assert graded(0.3, odd, EU).level == 2                   # 0.3 / 0.3 = 1.0
    assert graded(0.21, odd, EU).ratio == pytest.approx(0.7, rel=1e-12)
    assert graded(0.21, odd, EU).level == 1


def test_the_graded_result_may_be_one_of_the_peers():
    group = peers(MEAN10)
    me = dataclasses.replace(group[3], id="P3")              # 0.25, itself in the group
    g = grade_against_peers(me, group, load_pcr(CN), kind="batch", source="t", date=NOW, graded_at=NOW)
    assert g.group.includes_graded is True and g.ratio == 1.0 and g.level == 2


def test_a_nonconforming_result_gets_an_indicative_level():
    g = graded(0.2, peers(MEAN10), conforms=False)
    assert g.level == 1 and g.indicative is True and "does not conform" in g.reason
    en, zh = g.text()
    assert en == "peer level 1 of 5 (ratio 0.80 to the mean of 10 peers), illustrative levels, indicative"
    assert zh == "同类对标 第1级（共5级）：为10个同类产品平均值的0.80倍，分级界限为示例，仅供参考"
    assert graded(0.2, peers(MEAN10)).indicative is False


def test_the_ratio_shows_enough_digits_not_to_look_like_a_bound():
    assert ratio_text(0.8007, [0.8, 1.0, None]) == "0.801"   # 0.80 would read as the bound of level 1
    assert ratio_text(0.8, [0.8, 1.0, None]) == "0.80"
    assert ratio_text(0.9312, [0.8, 1.0, None]) == "0.93"


def test_grading_against_the_reference_the_pcr_cites():
    pcr = load_pcr(EU)
    g = grade_against_reference(subject(0.2, pcr=EU, method=EF), pcr, graded_at=NOW)
    # 0.2 / 0.25 = 0.8 -> level 1; the cited value is illustrative, its date 2020
    assert g.ratio == 0.8 and g.level == 1 and g.group.kind == "pcr" and g.group.illustrative is True
    assert g.group.size is None and g.group.members == () and g.group.date == "2020"
    assert g.text()[0].startswith("peer level 1 of 5 (ratio 0.80 to the median cited by PCR eu-battery-cfb-ev)")
    assert grade_against_reference(subject(0.45, pcr=EU, method=EF), pcr, graded_at=NOW).level == 5   # 1.8


def test_grading_document_reads_back():
    g = graded(0.3, peers(MEAN10))
    data = json.loads(json.dumps(g.to_json()))
    assert data["format"] == "pcf-peer-grading/1" and data["level"] == 3
    assert PeerGrade.from_json(data) == g
    with pytest.raises(CodecError, match=r"\$\.format"):
        PeerGrade.from_json({**data, "format": "pcf-result/1"})
    with pytest.raises(CodecError, match=r"\$\.level: level 9 is not one of"):
        PeerGrade.from_json({**data, "level": 9})
    with pytest.raises(CodecError, match=r"\$\.ratio"):
        PeerGrade.from_json({**data, "ratio": "high"})


# --------------------------------------------------------------------------- refusals


def test_a_group_smaller_than_the_minimum_is_refused():
    with pytest.raises(PeerGradingError, match=r"holds 9 result\(s\); PCR cn-label-lithium-battery's peer grading "
                                               r"needs at least 10"):
        graded(0.2, peers(MEAN10[:9]))
    assert graded(0.2, peers(MEAN10)).group.size == 10       # 10 is enough


@pytest.mark.parametrize(("field", "other", "what"), [
    ("declared_unit", "kg", "declared units"), ("method", EF, "methods"), ("pcr", EU, "PCRs")])
def test_a_group_that_mixes_units_methods_or_pcrs_is_refused(field, other, what):
    group = peers(MEAN10)
    group[9] = dataclasses.replace(group[9], **{field: other})
    with pytest.raises(PeerGradingError) as info:
        graded(0.2, group)
    text = str(info.value)
    assert f"the peer group mixes {what}" in text and f"{other} (1: P9)" in text and "(9: P0, P1, P2, ...)" in text


def test_a_uniform_group_of_another_unit_is_refused():
    with pytest.raises(PeerGradingError, match=r"mixes declared units or differs from the graded result's \(kWh\): "
                                               r"kg \(10: P0, P1, P2, \.\.\.\)"):
        graded(0.2, peers(MEAN10, unit="kg"))


def test_a_peer_without_a_figure_is_refused():
    group = peers(MEAN10)
    group[0] = dataclasses.replace(group[0], value=None)
    with pytest.raises(PeerGradingError, match=r"1 peer\(s\) have no declared figure per declared unit: P0"):
        graded(0.2, group)


def test_a_reference_that_is_not_above_zero_is_refused():
    with pytest.raises(PeerGradingError, match=r"the peer group's mean is -0\.1 kg CO2e per declared unit"):
        graded(0.2, peers([-0.1] * 10))


def test_a_pcr_without_peer_grading_is_named():
    pcr = load_pcr("gbt-24067-generic")
    me = subject(0.2, pcr=pcr.id)
    with pytest.raises(PeerGradingError, match=r"PCR gbt-24067-generic v\S+ defines no peer grading"):
        peer_group(me, peers(MEAN10, pcr=pcr.id), pcr)
    with pytest.raises(PeerGradingError, match=r"PCR cn-label-lithium-battery v\S+ cites no reference value"):
        grade_against_reference(subject(0.2), load_pcr(CN), graded_at=NOW)


def test_the_cited_reference_needs_the_pcr_method_and_unit():
    pcr = load_pcr(EU)
    with pytest.raises(PeerGradingError, match=r"computed with ipcc-2021-gwp100, the PCR's reference value is under"):
        grade_against_reference(subject(0.2, pcr=EU, method=IPCC), pcr, graded_at=NOW)
    with pytest.raises(PeerGradingError, match=r"the reference value is per kWh, the result's declared unit is kg"):
        grade_against_reference(subject(0.2, pcr=EU, method=EF, unit="kg"), pcr, graded_at=NOW)


def test_a_result_without_declared_unit_or_pcr_is_refused():
    with pytest.raises(PeerGradingError, match=r"ME has no declared figure per declared unit"):
        graded(None, peers(MEAN10), unit=None)
    with pytest.raises(PeerGradingError, match=r"ME was not assessed against a PCR"):
        peer_group(subject(0.2, pcr=None), peers(MEAN10), load_pcr(CN))


# --------------------------------------------------------------------------- the rule files


def test_shipped_peer_gradings_cite_or_say_illustrative():
    for pcr_id in (CN, EU):
        rule = load_pcr(pcr_id).peer_grading
        assert rule is not None and rule.source and rule.clause
        for figure in (rule, rule.min_group) + ((rule.reference_value,) if rule.reference_value else ()):
            assert figure.source and (not figure.illustrative or figure.rationale), pcr_id
        assert rule.levels[-1].max_ratio is None


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    - {level: 1, max_ratio: 0.8}\n", "    - {level: 2, max_ratio: 0.8}\n",
     r"peer_grading\.levels\[0\]\.level: level 2 is listed as number 1"),
    ("    - {level: 5, max_ratio: null}\n", "    - {level: 5, max_ratio: 2.0}\n",
     r"peer_grading\.levels\[4\]\.max_ratio: the last level must be open-ended"),
    ("    - {level: 2, max_ratio: 1.0}\n", "    - {level: 2, max_ratio: null}\n",
     r"peer_grading\.levels\[1\]\.max_ratio: only the last level may be open-ended"),
    ("    - {level: 3, max_ratio: 1.2}\n", "    - {level: 3, max_ratio: 0.9}\n",
     r"peer_grading\.levels\[2\]\.max_ratio: max_ratio 0\.9 must be greater than the previous 1\.0"),
    ("    - {level: 1, max_ratio: 0.8}\n", "    - {level: 1, max_ratio: -0.8}\n",
     r"peer_grading\.levels\[0\]\.max_ratio: Input should be greater than 0"),
    ("  statistic: mean\n", "  statistic: mode\n", r"peer_grading\.statistic: 'mode' is not allowed"),
    ("    size: 10\n", "    size: 1\n", r"peer_grading\.min_group\.size: Input should be greater than or equal to 2"),
])
def test_bad_peer_grading_gives_file_and_line(tmp_path, old, new, message):
    path, line = variant(tmp_path, CN, old, new)
    with pytest.raises(PCRError) as info:
        load_pcr(path)
    assert str(info.value).startswith(f"{path}:{line}: ") and re.search(message, str(info.value)), str(info.value)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    statistic: median\n    date:", "    statistic: mean\n    date:",
     r"the reference value is a mean but the levels are ratios to the median"),
    ("    unit: kg CO2e/kWh\n    statistic: median", "    unit: kg CO2e/kg\n    statistic: median",
     r"peer_grading\.reference_value\.unit: unit 'kg CO2e/kg' must be 'kg CO2e/kWh'"),
])
def test_a_cited_reference_matches_the_rule(tmp_path, old, new, message):
    path, _ = variant(tmp_path, EU, old, new)
    with pytest.raises(PCRError, match=message):
        load_pcr(path)


MIN_GROUP_RATIONALE = (
    "    illustrative: true\n    rationale: >-\n      With fewer than 10 peers one product moves the mean by more than "
    "about a tenth of its own\n      distance from it, so the level would depend on which few products happen to be "
    "in the group.\n      (The MIIT notice asks each pack maker for at least 5 typical packs in its trial declaration,"
    "\n      NOTES.md 3c; that is a count per maker, not a peer group.)\n")


def test_illustrative_figures_need_a_rationale(tmp_path):
    path, line = variant(tmp_path, CN, MIN_GROUP_RATIONALE, "    illustrative: true\n")
    with pytest.raises(PCRError, match=rf"^{re.escape(str(path))}:{line}: peer_grading\.min_group\.illustrative: an "
                                       r"illustrative minimum group size needs a rationale"):
        load_pcr(path)


# --------------------------------------------------------------------------- pcf grade (api, CLI)


def write_results(folder, values, pcr=CN, prefix="B", unit="kWh"):
    """One result file per value: fossil = 100 x value kg CO2e per item, 100 declared units per
    item, so the declared figure (CN: the total with every category) is value [kg CO2e/kWh];
    MEAN10's values x 100 and / 100 are exact."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, v in enumerate(values):
        footprint = result(fossil=100 * v, declared_per_reference_flow=100.0, product_id=f"{prefix}{i}", pcr=pcr,
                           declared_unit=unit)
        paths.append(write_declaration(build_declaration(footprint, pcr), folder))
    return paths


def test_grade_one_result_against_a_folder_of_results(tmp_path):
    paths = write_results(tmp_path / "peers", MEAN10)
    run = grade(paths[3], str(tmp_path / "peers"), out_dir=tmp_path / "g", at=NOW)
    (g,) = run.grades
    # B3 = 0.25, the mean 0.25: ratio 1.0, level 2; it is one of the 10 files
    assert g.ratio == 1.0 and g.level == 2 and g.group.kind == "results" and g.group.includes_graded is True
    assert g.group.members == tuple(f"B{i}.result.json" for i in range(10))
    assert g.group.date == "2026-12-04T00:00:00+00:00" and g.graded_at == NOW
    assert g.result.id == "B3" and g.indicative is True          # the hand-built results do not conform to CN
    assert run.files == {"grading": tmp_path / "g" / "B3.grading.json"}
    assert PeerGrade.from_json(json.loads(run.files["grading"].read_text(encoding="utf-8"))) == g
    (outside,) = write_results(tmp_path / "other", [0.3], prefix="X")
    g = grade(outside, str(tmp_path / "peers"), at=NOW).grades[0]
    assert g.ratio == 1.2 and g.level == 3 and g.group.includes_graded is False


def test_grade_refusals_write_nothing(tmp_path):
    small = write_results(tmp_path / "small", MEAN10[:9])
    out = tmp_path / "g"
    result_ = runner.invoke(cli.app, ["grade", str(small[0]), "--peers", str(tmp_path / "small"), "--out", str(out)])
    assert result_.exit_code == 2 and "holds 9 result(s)" in flat(result_.output) and not out.exists()
    mixed = write_results(tmp_path / "mixed", MEAN10[:9])
    write_results(tmp_path / "mixed", [0.4375], prefix="KG", unit="kg")
    result_ = runner.invoke(cli.app, ["grade", str(mixed[0]), "--peers", str(tmp_path / "mixed"), "--out", str(out)])
    assert result_.exit_code == 2 and not out.exists()
    assert "the peer group mixes declared units" in flat(result_.output) and "kg (1: KG0.result.json)" in flat(result_.output)
    result_ = runner.invoke(cli.app, ["grade", str(mixed[0]), "--peers", "pcr"])
    assert result_.exit_code == 2 and "PCR cn-label-lithium-battery" in flat(result_.output)
    assert "cites no reference value" in result_.output
    (generic,) = write_results(tmp_path / "gbt", [0.2], pcr="gbt-24067-generic")
    result_ = runner.invoke(cli.app, ["grade", str(generic), "--peers", str(tmp_path / "small")])
    assert result_.exit_code == 2 and "PCR gbt-24067-generic" in flat(result_.output) and "defines no peer grading" in flat(result_.output)
    result_ = runner.invoke(cli.app, ["grade", str(small[0]), "--peers", str(tmp_path / "nowhere")])
    assert result_.exit_code == 2 and "not a peer group pcf can read" in flat(result_.output) and "(--peers)" in result_.output
    assert "Traceback" not in result_.output


BATCH_MODEL = loop_model(pcr="cn-label-lithium-battery", parameters={"cap": 2, "loop": 0, "elec_a": 10}, loop="loop",
                         elec="elec_a", cut_off=False)
# tests/test_batch.py's loop model with loop = 0 under cn-label-lithium-battery (the total with every
# category is declared): s_a = 1, s_b = 2, total = 0.5571 elec_a + 1 + 2 x 3.873 = 0.5571 elec_a + 8.746
# kg CO2e per item; declared units = cap x 10.
#   R1 cap 2, elec_a 0:  8.746 / 20 = 0.4373      R2 cap 1, elec_a 0:  8.746 / 10 = 0.8746
#   R3 cap 2, elec_a 10: 14.317 / 20 = 0.71585    R4 cap 2, elec_a 20: 19.888 / 20 = 0.9944
#   mean = (0.4373 + 0.8746 + 0.71585 + 0.9944) / 4 = 3.02215 / 4 = 0.7555375
#   ratios: R1 0.57879 (level 1), R2 1.15759 (3), R3 0.94747 (2), R4 1.31615 (4)
SKUS = "id,cap,elec_a\nR1,2,0\nR2,1,0\nR3,2,10\nR4,2,20\n"
MEAN4 = 0.7555375
EXPECTED = {"R1": (0.4373, 1), "R2": (0.8746, 3), "R3": (0.71585, 2), "R4": (0.9944, 4)}


def test_grade_a_whole_batch_against_its_own_summary(bd, write_model, tmp_path):
    from pcf.batch import run_batch

    model = write_model(BATCH_MODEL)
    table = tmp_path / "skus.csv"
    table.write_text(SKUS, encoding="utf-8")
    out = tmp_path / "batch"
    run_batch(table, out, model)
    small, _ = variant(tmp_path, CN, "    size: 10\n", "    size: 4\n")    # the shipped minimum is 10
    run = grade(None, str(out), batch=out, pcr=small, out_dir=tmp_path / "g", at=NOW)
    assert [g.result.id for g in run.grades] == ["R1", "R2", "R3", "R4"]
    for g in run.grades:
        value, level = EXPECTED[g.result.id]
        assert g.result.value == pytest.approx(value, rel=1e-6)
        assert g.group.reference.value == pytest.approx(MEAN4, rel=1e-6)
        assert g.ratio == pytest.approx(value / MEAN4, rel=1e-6) and g.level == level
        assert g.group.kind == "batch" and g.group.size == 4 and g.group.includes_graded is True
    assert set(run.files) == {"R1", "R2", "R3", "R4", "grades.csv"}
    assert (tmp_path / "g" / "grades.csv").read_text(encoding="utf-8").splitlines()[0].startswith("id,")
    # one SKU from the store, against the summary.csv file
    (one,) = grade(None, str(out / "summary.csv"), batch=out, sku="R2", pcr=small, at=NOW).grades
    assert one.level == 3 and one.ratio == pytest.approx(0.8746 / MEAN4, rel=1e-6)
    # the command line, with the shipped rule: 4 peers are fewer than its 10
    shipped = runner.invoke(cli.app, ["grade", "--batch", str(out), "--peers", str(out)])
    assert shipped.exit_code == 2 and "holds 4 result(s)" in flat(shipped.output) and "at least 10" in flat(shipped.output)
    printed = runner.invoke(cli.app, ["grade", "--batch", str(out), "--peers", str(out), "--pcr", str(small)])
    assert printed.exit_code == 0, printed.output
    assert "4 results graded against the mean 0.7555" in flat(printed.output)
    # a --json-per-sku batch keeps no store: each row's method comes from its own result file
    per_sku = tmp_path / "per-sku"
    run_batch(table, per_sku, model, json_per_sku=True)
    levels = {g.result.id: g.level for g in grade(None, str(per_sku), batch=per_sku, pcr=small, at=NOW).grades}
    assert levels == {sku: level for sku, (_, level) in EXPECTED.items()}


def pack(capacity: float, id: str):
    """tests/registry_util.py's conforming eu-battery-cfb-ev pack (960 kg CO2e per pack) with
    ``capacity`` kWh: capacity x 60 x 8 = 480 capacity kWh over its life, so 960 / (480 capacity)
    = 2 / capacity kg CO2e/kWh (8 kWh: 0.25, 10: 0.2, 12: 0.16667)."""
    from pcf.lca.result import DeclaredUnit, TotalsPerDeclaredUnit
    from tests import builders
    from tests.registry_util import assessed, make_footprint

    units = capacity * 480.0
    fp = make_footprint(id=id, declared_unit=DeclaredUnit(unit="kWh", description="kWh delivered over the service life",
                                                          per_reference_flow=units))
    per = 960.0 / units
    fp = dataclasses.replace(fp, parameters={"capacity_kwh": capacity, "cycles_per_year": 60, "service_life_years": 8},
                             per_declared_unit_kg_co2e=per,
                             totals=dataclasses.replace(fp.totals, per_declared_unit=TotalsPerDeclaredUnit(
                                 including_biogenic=per, excluding_biogenic=per)))
    return assessed(builders.declaration(fp))


@pytest.mark.registry
def test_grade_against_the_registry_current_labels(tmp_path):
    """Three current labels (8, 10, 12 kWh: 0.25, 0.2, 0.16667 kg CO2e/kWh), EU rule with a minimum
    of 3: the median is 0.2; a 9 kWh pack (2 / 9 = 0.22222) has ratio 1.1111, level 3."""
    from tests.registry_util import new_registry, utc, verified_issue

    store, key, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1))
    rules = tmp_path / "rules"
    rules.mkdir()
    small, _ = variant(tmp_path, EU, "    size: 10\n", "    size: 3\n")
    (rules / f"{EU}.yaml").write_text(small.read_text(encoding="utf-8"), encoding="utf-8")
    numbers = []
    for capacity in (8, 10, 12):
        decl = pack(capacity, f"PK{capacity}")
        assert decl.assessment.conforms, [f.message for f in decl.assessment.findings if f.severity == "nonconformity"]
        issued = verified_issue(store, decl, key, 730, None, now=utc(2026, 1, 2), case_at=utc(2026, 1, 2),
                                pcr_dir=rules)
        numbers.append(issued.number)
    location = store.location
    store.close()
    me = write_declaration(pack(9, "PK9"), tmp_path / "me")
    (g,) = grade(me, "registry", registry=location, pcr=rules / f"{EU}.yaml", at="2026-06-01T00:00:00Z").grades
    assert g.group.kind == "registry" and g.group.size == 3 and sorted(g.group.members) == sorted(numbers)
    assert g.group.reference.value == pytest.approx(0.2, rel=1e-12)
    assert g.ratio == pytest.approx((2 / 9) / 0.2, rel=1e-12) and g.level == 3
    assert g.group.includes_graded is False and g.group.conforming == 3 and g.indicative is False
    assert g.group.distribution == pytest.approx([2 / 12, 0.2, 0.25], rel=1e-12)
    # two years later the labels have expired: no peers left
    with pytest.raises(PeerGradingError, match=r"holds 0 result\(s\)"):
        grade(me, "registry", registry=location, pcr=rules / f"{EU}.yaml", at="2028-06-01T00:00:00Z")


@pytest.mark.registry
def test_published_pages_show_the_peer_level_and_an_anonymous_strip(tmp_path):
    """Ten current labels under eu-battery-cfb-ev (its shipped minimum): capacities 6..15 kWh,
    2 / capacity kg CO2e/kWh. Sorted: 2/15 .. 2/6; the median of ten = mean of the 5th and 6th =
    (2/11 + 2/10) / 2 = 0.190909; the 10 kWh pack: 0.2 / 0.190909 = 1.047619, level 3."""
    from pcf.serve.publish import publish
    from tests.registry_util import new_registry, utc, verified_issue

    store, key, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1))
    numbers = {}
    for capacity in range(6, 16):
        numbers[capacity] = verified_issue(store, pack(capacity, f"PK{capacity}"), key, 730, None,
                                           now=utc(2026, 1, 2), case_at=utc(2026, 1, 2)).number
    publish(store, tmp_path / "site", now=utc(2026, 6, 1))
    store.close()
    page = (tmp_path / "site" / f"{numbers[10]}.html").read_text(encoding="utf-8")
    assert 'id="peer-grading"' in page
    assert "Peer level 3 of 5: 1.05 × median of 10 peers · 示例 illustrative" in page and "indicative" not in page
    strip_svg = page[page.index('<svg id="peer-strip"'):page.index("</svg>", page.index('<svg id="peer-strip"'))]
    assert strip_svg.count("<circle") == 11          # ten dots and the ring of this label
    assert "PK" not in strip_svg and "Test EV battery pack" not in strip_svg    # no other product named
    assert "median 0.191" in strip_svg
    assert "Peer level 1 of 5" in (tmp_path / "site" / f"{numbers[15]}.html").read_text(encoding="utf-8")  # 0.698


@pytest.mark.registry
def test_a_small_registry_group_gets_a_note_instead_of_a_level(tmp_path):
    from pcf.serve.publish import publish
    from tests.registry_util import new_registry, utc, verified_issue

    store, key, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1))
    number = verified_issue(store, pack(10, "PK10"), key, 730, None, now=utc(2026, 1, 2),
                            case_at=utc(2026, 1, 2)).number
    publish(store, tmp_path / "site", now=utc(2026, 6, 1))
    store.close()
    page = (tmp_path / "site" / f"{number}.html").read_text(encoding="utf-8")
    assert "1 current label(s) under eu-battery-cfb-ev, fewer than the 10 its peer grading needs" in page
    assert 'id="peer-strip"' not in page


def test_the_label_prints_the_peer_level_of_its_own_grading(tmp_path):
    paths = write_results(tmp_path / "peers", MEAN10)
    grade(paths[8], str(tmp_path / "peers"), out_dir=tmp_path / "g", at=NOW)   # B8 = 0.375: ratio 1.5, level 4
    grading = tmp_path / "g" / "B8.grading.json"
    done = runner.invoke(cli.app, ["label", str(paths[8]), "--grading", str(grading), "--out", str(tmp_path / "l")])
    assert done.exit_code == 0, done.output
    svg = (tmp_path / "l" / "B8.label.svg").read_text(encoding="utf-8")
    assert 'id="peer-grading"' in svg
    assert "同类对标 第4级/共5级 Peer level 4 of 5: 1.50 × mean of 10 peers · 示例 illustrative · 参考 indicative" in svg
    # another result's grading is refused, nothing written
    other = runner.invoke(cli.app, ["label", str(paths[2]), "--grading", str(grading), "--out", str(tmp_path / "m")])
    assert other.exit_code == 2 and "the grading is of B8" in flat(other.output) and "(--grading)" in other.output
    assert not (tmp_path / "m").exists()
    grading.write_text('{"format": "pcf-result/1"}', encoding="utf-8")
    bad = runner.invoke(cli.app, ["label", str(paths[8]), "--grading", str(grading), "--out", str(tmp_path / "m")])
    assert bad.exit_code == 2 and "not a peer grading" in flat(bad.output) and not (tmp_path / "m").exists()


SUMMARY_HEAD = "row,id,name,model,scenario,status,error,declared_per_declared_unit,declared_unit,pcr,conforms\n"


def test_summary_and_folder_refusals(tmp_path):
    """Each way a peer source or a grading file can be wrong: exit 2, the file named, no traceback."""
    (one,) = write_results(tmp_path / "one", [0.25])

    def refused(*args) -> str:
        done = runner.invoke(cli.app, ["grade", *args])
        assert done.exit_code == 2 and "Traceback" not in done.output, done.output
        return " ".join(done.output.split())

    # a summary-only batch: the summary does not say which method its rows used
    only = tmp_path / "summary-only"
    only.mkdir()
    (only / "summary.csv").write_text(SUMMARY_HEAD + f"2,B0,x,m.yaml,,ok,,0.25,kWh,{CN},false\n", encoding="utf-8")
    assert "SKU 'B0': the summary does not say which method" in refused(str(one), "--peers", str(only))
    # not a summary: a column missing
    (only / "summary.csv").write_text("row,id\n2,B0\n", encoding="utf-8")
    assert "not a pcf batch summary: no column status" in refused(str(one), "--peers", str(only / "summary.csv"))
    # a Parquet file that is not one
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "summary.parquet").write_bytes(b"not parquet")
    assert "not a readable Parquet summary" in refused(str(one), "--peers", str(junk))
    # a batch without any SKU that has a result
    failed = tmp_path / "failed"
    failed.mkdir()
    (failed / "summary.csv").write_text(SUMMARY_HEAD + "2,B0,x,m.yaml,,failed,boom,,,,\n", encoding="utf-8")
    assert "the batch has no SKU with a result to grade (--batch)" in refused("--batch", str(failed), "--peers", "pcr")
    assert "no batch summary here" in refused("--batch", str(tmp_path / "one"), "--peers", "pcr")
    # a folder without results or summary
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no *.result.json files here" in refused(str(one), "--peers", str(empty))
    # a rule file of another PCR
    assert "the rule file is PCR eu-battery-cfb-ev, the result was assessed under cn-label-lithium-battery" in refused(
        str(one), "--peers", "pcr", "--pcr", EU)


def test_a_grading_file_that_cannot_be_read_or_goes_on_a_report(tmp_path):
    from pcf.api import render_outputs

    (one,) = write_results(tmp_path / "one", [0.25])
    done = runner.invoke(cli.app, ["label", str(one), "--grading", str(tmp_path / "missing.json"), "--out",
                                   str(tmp_path / "l")])
    assert done.exit_code == 2 and "cannot read the grading" in flat(done.output) and not (tmp_path / "l").exists()
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    done = runner.invoke(cli.app, ["label", str(one), "--grading", str(tmp_path / "bad.json"), "--out",
                                   str(tmp_path / "l")])
    assert done.exit_code == 2 and "not valid JSON" in flat(done.output)
    paths = write_results(tmp_path / "peers", MEAN10)
    grade(paths[3], str(tmp_path / "peers"), out_dir=tmp_path / "g", at=NOW)
    with pytest.raises(PCFError, match="a peer grading goes on a label, not on the report"):
        render_outputs(paths[3], tmp_path / "r", "report", grading=tmp_path / "g" / "B3.grading.json")
