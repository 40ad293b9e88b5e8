"""The label family (issue 5.5): graded label, compact label for small packaging (8-60 mm) and
the carbon-footprint declaration (EU batteries: Reg. (EU) 2023/1542 Art. 7), SVG and PDF,
Chinese and English, with a label-number placeholder until issued.

Both examples are rendered in every variant. Hand-worked numbers:

- page sizes: 90 x 145 mm = 255.118 x 411.024 pt; A5 148 x 210 mm = 419.528 x 595.276 pt;
  a compact label of s mm is s / 25.4 x 72 pt square (30 mm: 85.039 pt) — 1 in = 25.4 mm = 72 pt;
- NMC811 declared units per pack: 23.5 kWh x 60 cycles/year x 8 years = 11,280 kWh;
- PV module: 1.6 m2 x 1000 W/m2 x 17.9 % = 286.4 Wp = 0.2864 kWp per module;
- compact QR: the code is 74 of 200 units wide, so one module is 74 / 200 x s / n mm for n
  modules; it is drawn only when that is at least 0.25 mm.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pcf.api import compute
from pcf.pcr.assessment import LabelRule
from pcf.core.errors import PCFError, RenderError
from pcf.render import fmt, label_verification_text, render_label
from pcf.render.label import issued_label, variant_svg
from pcf.render.qr import qr_path
from pcf.render.label_compact import FULL_MIN_MM, QR_MODULE_MIN_MM, compact_context
from tests.conftest import REPO
from tests.test_render import embedded_cjk_fonts, make_result
from tests.conftest import flat

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = {"nmc811": REPO / "examples" / "battery" / "nmc811-pack.yaml",
            "pv": REPO / "examples" / "pv" / "mono-si-module-cn.yaml"}
ISSUED = {"number": "CBX-2026-000042-17", "valid_from": "2026-03-01", "valid_until": "2028-02-29",
          "issuer": "cb-example", "qr": "https://labels.example.org/pcf/CBX-2026-000042-17"}


def pdf_text(path: Path) -> str:
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", raw)


def page_size_pt(path: Path) -> tuple[float, float]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    w, h = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return float(w), float(h)


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def results(open_default):
    return {name: compute(path) for name, path in EXAMPLES.items()}


@pytest.fixture(scope="module")
def rendered(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("family")
    files = {}
    for name, result in results.items():
        for variant in ("graded", "compact", "declaration"):
            files[(name, variant)] = render_label(result, out / name, variant=variant)
    return files


@pytest.mark.parametrize("name", list(EXAMPLES))
@pytest.mark.parametrize(("variant", "size_pt", "suffix"), [
    ("graded", (255.118, 411.024), "label"),
    ("compact", (85.039, 85.039), "label-compact"),
    ("declaration", (419.528, 595.276), "cf-declaration"),
])
def test_every_variant_renders_for_both_examples(rendered, results, name, variant, size_pt, suffix):
    paths = rendered[(name, variant)]
    pid = results[name].result.product.id
    assert paths["svg"].name == f"{pid}.{suffix}.svg" and paths["pdf"].name == f"{pid}.{suffix}.pdf"
    assert pages(paths["pdf"]) == 1
    assert page_size_pt(paths["pdf"]) == pytest.approx(size_pt, abs=0.01)
    assert embedded_cjk_fonts(paths["pdf"]), "Chinese text without an embedded CJK font"
    ET.fromstring(paths["svg"].read_text(encoding="utf-8"))       # well-formed SVG
    text = pdf_text(paths["pdf"])
    head = results[name].result.per_declared_unit_kg_co2e
    assert fmt.sig(head) in text                                   # the number is the result's
    assert "碳足迹" in text
    # a label rendered from a result is a draft: its number is a placeholder
    assert "待签发" in text


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_declaration_numbers_equal_the_result(rendered, results, name):
    r = results[name]
    text = pdf_text(rendered[(name, "declaration")]["pdf"])
    a = r.assessment
    # the PV module is cradle-to-gate: pv-module's Distribution and End of life (after the gate,
    # nothing in them) read "not included", not 0 (issue 20)
    left_out = {"Distribution", "End of life"} if name == "pv" else set()
    assert text.count("不含 not included") == len(left_out)
    total = sum(a.stages.values())
    for stage, value in a.stages.items():
        if stage not in left_out:
            assert fmt.sig(value) in text and fmt.pct(value / total) in text, stage
    du = r.result.product.declared_unit
    assert f"{fmt.amount(du.per_reference_flow)} {du.unit} / 1 item" in text


def test_nmc811_declaration_is_the_art_7_one_with_what_is_missing(rendered, results):
    """11,280 kWh per pack (23.5 x 60 x 8); the four Annex II stages; (c), (f), (g) not stated
    ((a) is the exchange section's placeholder company); not graded: it does not conform."""
    text = pdf_text(rendered[("nmc811", "declaration")]["pdf"])
    assert "电池碳足迹声明" in text and "Battery carbon footprint declaration" in text
    assert "Regulation (EU) 2023/1542, Art. 7" in text
    assert "11,280 kWh / 1 item" in text
    for zh, en in (("原材料获取与预处理", "Raw material acquisition and pre-processing"),
                   ("主要产品生产", "Main product production"), ("分销", "Distribution"),
                   ("寿命终止与回收", "End of life and recycling")):
        assert zh in text and en in text
    for point in ("(c)", "(f)", "(g)"):
        assert re.search(re.escape(point) + r" \S+ .*?未提供 not stated", text), point
    assert text.count("未提供 not stated") == 3
    assert "pcf example battery maker (placeholder, not a real company)" in text
    assert "(b) 产品型号" in text and "SKU-NMC811-PACK" in text
    assert "未分级 not graded" in text and "不符合 PCR" in text


def test_pv_declaration_shows_both_gradings(rendered):
    """585 kg CO2e/kWp: class B (illustrative) and the ECS tier ECS>=550; 0.2864 kWp per module."""
    text = pdf_text(rendered[("pv", "declaration")]["pdf"])
    assert "产品碳足迹声明" in text and "Battery" not in text
    assert "0.2864 kWp / 1 item" in text
    assert re.search(r"\bB \(示意性阈值 illustrative thresholds\)", text)
    assert "CRE simplified carbon assessment (ECS), PPE2 method: ECS>=550" in text
    assert "符合 PCR · conforms" in text


def test_graded_label_shows_why_the_battery_is_not_graded(rendered):
    svg = rendered[("nmc811", "graded")]["svg"].read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}g[@id='not-graded']") is not None
    assert root.find(f".//{SVG}g[@id='class-pointer']") is None
    text = pdf_text(rendered[("nmc811", "graded")]["pdf"])
    assert "不符合产品类别规则" in text and "does not conform to its PCR" in text
    assert "有效期 Valid 签发时确定 set at issue" in text


def test_graded_pv_label_points_at_b_and_names_the_ecs_tier(rendered):
    root = ET.fromstring(rendered[("pv", "graded")]["svg"].read_text(encoding="utf-8"))
    assert root.find(f".//{SVG}g[@id='class-pointer']").get("data-class") == "B"
    alternative = "".join(root.find(f".//{SVG}text[@id='alternative-class']").itertext())
    assert "CRE simplified carbon assessment (ECS), PPE2 method" in alternative and "ECS>=550" in alternative


# --------------------------------------------------------------------------- compact label


def test_compact_size_bounds():
    result = make_result()
    for size in (8.0, 60.0):
        assert compact_context(result, "Noto Sans CJK SC", size)["mm"] == (size, size)
    for size in (7.99, 60.01, 0.0):
        with pytest.raises(RenderError, match="8 to 60 mm"):
            compact_context(result, "Noto Sans CJK SC", size)


def test_compact_layout_and_qr_follow_the_size():
    """An issued compact label draws its QR code when the modules are large enough; a draft
    never has one (issue 20 part 3)."""
    result = make_result()
    modules = qr_path(ISSUED["qr"])["modules"]
    for size in (8.0, 12.0, FULL_MIN_MM - 0.01):
        c = compact_context(result, "F", size, ISSUED)
        assert c["layout"] == "mini" and c["qr"] is None
    for size in (FULL_MIN_MM, 30.0, 45.0, 60.0):
        c = compact_context(result, "F", size, ISSUED)
        module_mm = 74.0 / 200.0 * size / modules
        assert c["layout"] == "full" and c["module_mm"] == pytest.approx(module_mm, abs=1e-3)
        assert (c["qr"] is not None) is (module_mm >= QR_MODULE_MIN_MM)
        assert compact_context(result, "F", size)["qr"] is None        # the draft of the same size
    assert compact_context(result, "F", 60.0, ISSUED)["qr"] is not None  # 22.2 mm code: modules ~0.5 mm


def test_compact_svg_at_the_small_end(tmp_path):
    """At 12 mm: mini layout, value, unit and class only; the class B of the fixture."""
    paths = render_label(make_result(), tmp_path, variant="compact", size_mm=12)
    root = ET.fromstring(paths["svg"].read_text(encoding="utf-8"))
    assert root.get("width") == "12.0mm" and root.get("data-layout") == "mini"
    assert root.find(f".//{SVG}g[@id='class-chip']").get("data-class") == "B"
    assert root.find(f".//{SVG}svg[@id='qr']") is None
    assert page_size_pt(paths["pdf"]) == pytest.approx((12 / 25.4 * 72,) * 2, abs=0.01)
    assert "2.50" in pdf_text(paths["pdf"])


def test_size_only_for_the_compact_label(tmp_path):
    with pytest.raises(RenderError, match="compact label only"):
        render_label(make_result(), tmp_path, variant="graded", size_mm=20)
    with pytest.raises(RenderError, match="unknown label variant 'tiny'"):
        render_label(make_result(), tmp_path, variant="tiny")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- issued labels


@pytest.mark.parametrize("variant", ["graded", "compact", "declaration"])
def test_an_issued_label_is_the_same_template_with_number_validity_and_qr(variant):
    """pcf.registry renders the issued label by passing ``issued``: the number replaces the
    placeholder, the validity is printed, and the QR code holds the text it gives."""
    result = make_result()
    size = 60.0 if variant == "compact" else None
    font, _, draft, _ = variant_svg(result, variant, size_mm=size)
    _, _, svg, _ = variant_svg(result, variant, font=font, issued=ISSUED, size_mm=size)
    root = ET.fromstring(svg)
    number = "".join(root.find(f".//{SVG}text[@id='label-number']").itertext())
    assert ISSUED["number"] in number and "待签发" not in svg
    assert "待签发" in draft and 'id="qr"' not in draft and 'id="draft-watermark"' in draft
    assert root.find(f".//{SVG}g[@id='draft-watermark']") is None      # issued: no watermark
    qr = root.find(f".//{SVG}svg[@id='qr']/{SVG}path").get("d")
    assert qr == qr_path(ISSUED["qr"])["d"] != qr_path(label_verification_text(result))["d"]
    if variant != "compact":
        validity = "".join(root.find(f".//{SVG}text[@id='validity']").itertext())
        assert "2026-03-01 – 2028-02-29" in validity
    files = issued_label(result, ISSUED, variant=variant, size_mm=size)
    assert files["pdf"][:5] == b"%PDF-" and files["svg"].decode("utf-8") == svg


def test_draft_label_states_the_pcr_validity(tmp_path):
    """A PCR with a label rule (cn-label-lithium-battery: 2 years, CNCA) prints it on the draft."""
    result = make_result()
    result = result.replace(assessment=dataclasses.replace(
        result.assessment, label=LabelRule(validity_years=2, clause="CNCA", confidence="S", note=None)))
    _, _, svg, _ = variant_svg(result, "graded", font="F")
    validity = "".join(ET.fromstring(svg).find(f".//{SVG}text[@id='validity']").itertext())
    assert "签发起 2 年" in validity and "2 years from issue" in validity


# --------------------------------------------------------------------------- command line


def test_cli_label_variants(tmp_path):
    import json

    from typer.testing import CliRunner

    import cli

    path = tmp_path / "TEST-1.result.json"
    path.write_text(json.dumps(make_result().to_json()), encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(cli.app, ["label", str(path), "--out", str(out), "--variant", "all", "--size", "20"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"TEST-1.{s}.{k}" for s in ("label", "label-compact", "cf-declaration") for k in ("svg", "pdf"))
    assert ET.fromstring((out / "TEST-1.label-compact.svg").read_text())[0] is not None
    r = CliRunner().invoke(cli.app, ["label", str(path), "--out", str(out), "--size", "20"])
    assert r.exit_code == 2 and "--variant compact" in flat(r.output)


def test_api_refuses_size_without_compact(tmp_path):
    import json

    from pcf.api import render_outputs

    path = tmp_path / "r.result.json"
    path.write_text(json.dumps(make_result().to_json()), encoding="utf-8")
    with pytest.raises(PCFError, match="compact"):
        render_outputs(path, tmp_path / "o", "label", variants=["declaration"], size_mm=10)


def test_a_pcr_without_classes_gives_labels_without_a_scale():
    """cn-label-lithium-battery defines no classes (the sources describe a value label): the
    graded label shows a 'no performance classes' panel instead of a greyed A-E scale, and the
    compact label has no class chip."""
    from pcf.declaration import build_declaration
    from tests.test_pcr import battery_result

    hand = battery_result(data_sources=[{"background": "nickel", "kg_co2e": 4500.0}],
                          method="ipcc-2021-gwp100")  # the rule's method
    result = make_result().replace(assessment=build_declaration(hand, "cn-label-lithium-battery").assessment)
    assert result.assessment.performance_class is None and result.assessment.conforms is True
    _, _, svg, _ = variant_svg(result, "graded", font="F")
    root = ET.fromstring(svg)
    panel = "".join(root.find(f".//{SVG}g[@id='no-classes']").itertext())
    assert "The PCR defines no performance classes" in panel
    assert root.find(f".//{SVG}g[@id='not-graded']") is None and root.find(f".//{SVG}g[@id='class-pointer']") is None
    for size in (12.0, 30.0):
        _, _, svg, _ = variant_svg(result, "compact", font="F", size_mm=size)
        assert ET.fromstring(svg).find(f".//{SVG}g[@id='class-chip']") is None
    validity = "".join(ET.fromstring(variant_svg(result, "graded", font="F")[2]).find(f".//{SVG}text[@id='validity']").itertext())
    assert "签发起 2 年 2 years from issue" in validity          # CNCA: certificate valid 2 years
