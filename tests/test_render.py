"""Tests of pcf.render: carbon label (SVG, PDF) and CFP study report (PDF).

The fixture is a declaration built with tests/builders.py (no Brightway): one item with a total of
100 kg CO2e, stages 60 (raw material acquisition) + 40 (production), 40 kWh declared
units per item, so 2.50 kg CO2e/kWh, class B on the scale A <= 2 < B <= 3 < C <= 4 <
D <= 5 < E. Text in the PDFs is read back with poppler's ``pdftotext`` and the embedded
fonts with ``pdffonts``.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pcf.api import render_outputs
from pcf.declaration import Declaration
from pcf.core.errors import PCFError, RenderError
from pcf.lca.result import Contribution, CutOffItem, DataSource, Provenance
from pcf.pcr.assessment import Assessment, Finding, Grade, PcrRef, Threshold
from pcf.render import fmt, label_verification_text, render_label, render_report, view
from pcf.render import fonts, output
from pcf.render.qr import qr_path
from tests import builders

SVG = "{http://www.w3.org/2000/svg}"
SHA = "0123456789abcdef" * 4


def make_result(*, assessed: bool = True, declared: bool = True, **changes) -> Declaration:
    """The declaration solvable by hand (see the module docstring), built with tests/builders.py;
    ``changes`` are fields of :func:`tests.builders.result`."""
    fields = dict(
        fossil=90.0, biogenic_emissions=12.0, biogenic_removals=-2.0, dluc=0.0, aircraft=5.0,
        stages={"raw_material_acquisition": 60.0, "production": 40.0},
        declared_per_reference_flow=40.0 if declared else None, declared_unit="kWh",
        product_id="TEST-1", name="Test battery module", pcr="test-pcr",
        parameters={"capacity_kwh": 2, "cycles": 20},
        contributions=(
            Contribution(process="cell_manufacturing", name="Cell manufacturing", stage="production",
                         kind="direct", kg_co2e=40.0, share=0.4),
            Contribution(process="", background="nickel_sulfate", name="Nickel sulfate",
                         stage="raw_material_acquisition", kind="background", kg_co2e=35.0, share=0.35),
            Contribution(process="", background="aluminium_primary", name="Aluminium, primary",
                         stage="raw_material_acquisition", kind="background", kg_co2e=25.0, share=0.25),
        ),
        cut_off=(CutOffItem(process="module_assembly", name="label sticker", amount=0.002, unit="kg",
                            amount_per_process_output=0.002, process_output="item", reason="below 0.1 % of mass",
                            mass_share=None, energy_share=None, proxy=None, kg_co2e_estimate=None,
                            ghg_share=None),),
        data_sources=(DataSource(background="nickel_sulfate", database="pcf-open-default", model_reference=None,
                                 name="Nickel sulfate", reference_product=None, unit="kg", location="GLO",
                                 year=2020, source="Hand-made citation for the test, 2020", note=None,
                                 factor_ids=None, dqr=None, kg_co2e_per_unit=7.0, amount=5.0, kg_co2e=35.0),),
        method_name=("IPCC 2021", "climate change", "global warming potential (GWP100)"),
        provenance=Provenance(method_label="IPCC 2021 (AR6) GWP100", method_source=(), method_description="test",
                              background_database="pcf-open-default", background_version="test",
                              background_sha256="ab" * 32, background_activities=0, databases=(),
                              brightway={"bw2calc": "3.1.0"}, bw2calc_score=100.0),
        software_version="0.1.0", model_sha256=SHA, model_file="tests/data/test.yaml",
        created_at="2026-11-21T12:00:00+00:00",
    )
    fields.update(changes)
    assessment = Assessment(
        pcr=PcrRef(id="test-pcr", version="1.0", title="Test PCR", source="test"),
        conforms=False,
        findings=(Finding(rule="primary-data", clause="PCR 5.2", confidence="P", severity="nonconformity",
                          message="cell electricity is secondary data", fix="meter it"),),
        stages={},
        performance_class=Grade(
            class_="B", value=2.5, unit="kg CO2e/kWh",
            thresholds=tuple(Threshold(class_=c, max=m) for c, m in
                             (("A", 2.0), ("B", 3.0), ("C", 4.0), ("D", 5.0), ("E", None))),
            source="made up for the test", illustrative=True),
    )
    return builders.declaration(builders.result(**fields)).replace(assessment=assessment if assessed else None)


def make_document(**changes) -> dict:
    """:func:`make_result` as the ``pcf-result/1`` JSON a result file holds."""
    return make_result(**changes).to_json()


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def embedded_cjk_fonts(path: Path) -> list[str]:
    """Names of embedded fonts whose name says CJK (Noto Sans CJK, Source Han, WenQuanYi)."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    names = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # columns: name type... encoding emb sub uni object ID; "emb" is 5th from the end
        if len(parts) >= 6 and parts[-5] == "yes":
            name = parts[0]
            if any(k in name.replace("-", "").lower()
                   for k in ("cjk", "notosanssc", "sourcehansans", "wenquanyi", "wqy")):
                names.append(name)
    return names


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "new" / "dir"  # created by the renderer
    result = make_result()
    paths = render_label(result, out)
    report = render_report(result, out)
    return {"out": out, "label": paths, "report": report}


# ------------------------------------------------------------------ label

def test_label_files_are_named_for_the_product_and_nothing_else_is_left(rendered):
    out = rendered["out"]
    assert rendered["label"] == {"svg": out / "TEST-1.label.svg", "pdf": out / "TEST-1.label.pdf"}
    assert rendered["report"] == out / "TEST-1.report.pdf"
    assert sorted(p.name for p in out.iterdir()) == [
        "TEST-1.label.pdf", "TEST-1.label.svg", "TEST-1.report.pdf"]  # no temporary files


def test_label_svg_shows_value_unit_and_highlighted_class(rendered):
    text = rendered["label"]["svg"].read_text(encoding="utf-8")
    root = ET.fromstring(text)  # well-formed XML
    assert "2.500" in text and "kg CO2e / kWh" in text  # 4 significant figures (pcf.core.numbers)
    assert "= 100.0 kg CO2e / item" in text  # per reference flow
    assert "产品碳足迹" in text and "Product Carbon Footprint" in text
    pointer = root.find(f".//{SVG}g[@id='class-pointer']")
    assert pointer is not None and pointer.get("data-class") == "B"
    assert [t.text for t in pointer.iter(f"{SVG}text")] == ["B"]
    assert "Illustrative thresholds" in text
    assert root.find(f".//{SVG}g[@id='not-graded']") is None
    assert "≤ 2<" in text and "2 – 3<" in text and "&gt; 5<" in text  # thresholds as the PCR states them
    assert "60.0 %" in text and "40.0 %" in text
    assert "IPCC 2021 (AR6) GWP100" in text and "test-pcr v1.0" in text and "2026-11-21" in text


def test_draft_label_has_no_qr_code_and_a_draft_watermark(rendered):
    """A label rendered from a result is a draft (issue 20 part 3): nothing to scan, no "Scan to
    verify", and a diagonal watermark; an issued label's QR is tested in test_labels."""
    svg = rendered["label"]["svg"].read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}svg[@id='qr']") is None and "Scan to verify" not in svg
    assert qr_path(label_verification_text(make_result()))["d"] not in svg
    mark = root.find(f".//{SVG}g[@id='draft-watermark']")
    assert "rotate(-" in mark.get("transform")
    assert " ".join(t.text for t in mark.iter(f"{SVG}text")) == "草稿 DRAFT — not issued"


def test_label_pdf_has_embedded_cjk_font_and_chinese_text(rendered):
    pdf = rendered["label"]["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert embedded_cjk_fonts(pdf), "no embedded CJK font: Chinese would be boxes"
    text = pdftotext(pdf)
    assert "产品碳足迹" in text and "碳足迹等级" in text
    assert "2.500" in text and "kg CO2e / kWh" in text
    assert "60.0 %" in text and "40.0 %" in text


def test_verification_text_fields():
    assert label_verification_text(make_result()) == (
        "PCF1|id=TEST-1|v=2.500|u=kg CO2e/kWh|class=B|pcr=test-pcr@1.0|"
        "m=ipcc-2021-gwp100|sha256=0123456789ab")
    result = make_result(declared=False, assessed=False, product_id="电池=1")
    assert label_verification_text(result) == (
        "PCF1|id=%E7%94%B5%E6%B1%A0%3D1|v=100.0|u=kg CO2e/item|class=-|pcr=-|"
        "m=ipcc-2021-gwp100|sha256=0123456789ab")


def test_ungraded_label_says_not_graded(tmp_path):
    result = make_result(assessed=False)
    paths = render_label(result, tmp_path)
    root = ET.fromstring(paths["svg"].read_text(encoding="utf-8"))
    assert root.find(f".//{SVG}g[@id='class-pointer']") is None
    # without a PCR there is no class scale to grey out: a panel says why there is no class
    panel = "".join(root.find(f".//{SVG}g[@id='no-classes']").itertext())
    assert "未按产品类别规则评估" in panel and "Not assessed against a PCR" in panel
    text = paths["svg"].read_text(encoding="utf-8")
    assert "Illustrative" not in text


# ------------------------------------------------------------------ report

def test_report_pdf_text_fonts_and_sections(rendered):
    pdf = rendered["report"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert embedded_cjk_fonts(pdf)
    text = pdftotext(pdf)
    for expected in ("产品碳足迹研究报告", "CFP) Study Report", "目标与范围", "Goal and scope",
                     "核查声明", "Verification statement", "Not yet verified",
                     "100.0 kg CO2e / item", "2.500 kg CO2e / kWh", "40 kWh",
                     "Hand-made citation for the test, 2020", "label sticker",
                     "Nonconformity", "cell electricity is secondary data",
                     "made up for the test", SHA, "Page 1 of"):
        assert expected in text, expected


def test_report_stage_and_ghg_numbers(rendered):
    """Rows of the stages and ISO 14067 tables: per reference flow, per declared unit (/40), share."""
    text = pdftotext(rendered["report"])
    for pattern in (
        r"原材料获取 Raw material acquisition\s+60\.00\s+1\.500\s+60\.0 %",
        r"生产 Production\s+40\.00\s+1\.000\s+40\.0 %",
        r"合计 Total\s+100\.0\s+2\.500\s+100\.0 %",
        r"Fossil GHG emissions\s+90\.00\s+2\.250\s+90\.0 %",
        r"of which aircraft\s+5\.000\s+0\.1250\s+5\.0 %",
        r"Biogenic GHG removals\s+-2\.000\s+-0\.05000\s+-2\.0 %",
        r"Cell manufacturing[\s\S]{0,200}?40\.00\s+40\.0 %",
    ):
        assert re.search(pattern, text), pattern


def test_report_without_pcr_or_cut_off(tmp_path):
    result = make_result(assessed=False, cut_off=())
    text = pdftotext(render_report(result, tmp_path))
    assert "No PCR selected" in text and "None declared" in text and "Not graded" in text


def test_product_name_is_escaped(tmp_path):
    result = make_result(name="<script>alert(1)</script> & pack")
    paths = render_label(result, tmp_path)
    svg = paths["svg"].read_text(encoding="utf-8")
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; pack" in svg
    ET.fromstring(svg)
    text = pdftotext(render_report(result, tmp_path))
    assert "<script>alert(1)</script> & pack" in text  # shown as text, not run as markup


# ------------------------------------------------------------------ errors write nothing

def result_file(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "in" / "bad.result.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_result_without_product_id_raises_and_writes_nothing(tmp_path):
    document = make_document()
    del document["product"]["id"]
    path = result_file(tmp_path, document)
    out = tmp_path / "out"
    for what in ("label", "report"):  # the codec reads the file (pcf.declaration.read_declaration)
        with pytest.raises(PCFError, match=r"product.*\bid\b"):
            render_outputs(path, out, what)
    with pytest.raises(RenderError, match=r"product\.id"):
        render_label(make_result(product_id=""), out)
    assert not out.exists() or list(out.iterdir()) == []


def _data_source_as_text(document: dict) -> list:
    return [{**document["data_sources"][0], "kg_co2e_per_unit": "0.5"}]


@pytest.mark.parametrize("key, value, message", [
    ("total_kg_co2e", math.nan, "total_kg_co2e"),
    ("stages", None, "stages"),
    ("model_sha256", "not hex", "model_sha256"),
    ("model_sha256", 12345, "model_sha256"),
    ("format", "pcf-result/9", "pcf-result/1"),
    ("data_sources", _data_source_as_text, "kg_co2e_per_unit"),
    ("product", {"id": "P", "name": "n"}, "reference_flow"),
])
def test_bad_results_raise(tmp_path, key, value, message):
    document = make_document()
    document[key] = value(document) if callable(value) else value
    path = result_file(tmp_path, document)
    out = tmp_path / "out"
    with pytest.raises(PCFError, match=message):  # SourceError from the codec, RenderError from render
        render_outputs(path, out, "label")
    assert not out.exists() or list(out.iterdir()) == []


def test_product_id_that_is_a_path_raises(tmp_path):
    result = make_result(product_id="../escape")
    with pytest.raises(RenderError, match="file name"):
        render_label(result, tmp_path / "out")
    assert not (tmp_path / "escape.label.svg").exists() and not (tmp_path / "out").exists()


def test_missing_template_raises_and_writes_nothing(tmp_path):
    empty = tmp_path / "templates"
    empty.mkdir()
    out = tmp_path / "out"
    with pytest.raises(RenderError, match="label.svg.j2"):
        render_label(make_result(), out, templates_dir=empty)
    # all templates but the stylesheet
    partial = tmp_path / "partial"
    partial.mkdir()
    for f in output.default_templates_dir().iterdir():
        if f.name != "report.css":
            (partial / f.name).write_bytes(f.read_bytes())
    with pytest.raises(RenderError, match="report.css"):
        render_report(make_result(), out, templates_dir=partial)
    assert not out.exists() or list(out.iterdir()) == []


def test_no_cjk_font_raises_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "_fc_list", lambda: "")
    with pytest.raises(RenderError, match="fonts-noto-cjk"):
        render_label(make_result(), tmp_path)
    with pytest.raises(RenderError, match="fonts-noto-cjk"):
        render_report(make_result(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cjk_font_prefers_noto(monkeypatch):
    monkeypatch.setattr(fonts, "_fc_list", lambda: "AR PL UMing\nNoto Sans CJK JP,Noto Sans CJK SC\n")
    assert output.cjk_font() == "Noto Sans CJK SC"
    monkeypatch.setattr(fonts, "_fc_list", lambda: "WenQuanYi Zen Hei,文泉驛正黑\n")
    assert output.cjk_font() == "WenQuanYi Zen Hei"


def test_existing_file_is_replaced(tmp_path):
    target = tmp_path / "TEST-1.label.svg"
    target.write_text("old")
    render_label(make_result(), tmp_path)
    assert target.read_text(encoding="utf-8").startswith("<svg")


# ------------------------------------------------------------------ formatting and view model

@pytest.mark.parametrize("value, text", [
    # 4 significant figures, never an exponent (issue 20 part 1, pcf.core.numbers)
    (100.0, "100.0"), (60.0, "60.00"), (7512.3, "7,512"), (0.20868, "0.2087"), (2.5, "2.500"),
    (-2.0, "-2.000"), (0.0, "0"), (-0.0, "0"), (1234567.0, "1,235,000"), (0.0000123, "0.00001230"),
    (0.00004912345, "0.00004912"), (9.99996, "10.00"), (3e-12, "≈ 0"), (None, "–"),
])
def test_sig(value, text):
    assert fmt.sig(value) == text


def test_pct_and_stage_shares():
    assert fmt.pct(0.6) == "60.0 %" and fmt.pct(0.0004) == "0.0 %" and fmt.pct(None) == "–"
    rows = view.stage_rows(make_result().result)
    assert [(r["key"], r["share_text"], r["kg_du_text"]) for r in rows] == [
        ("raw_material_acquisition", "60.0 %", "1.500"), ("production", "40.0 %", "1.000")]
    result = builders.result(fossil=0.0, stages={"production": 5.0, "end_of_life": -5.0})
    assert [r["share_text"] for r in view.stage_rows(result)] == ["–", "–"]


def test_class_scale_from_thresholds_and_default():
    scale = view.class_scale(make_result())
    assert [(r["cls"], r["range"], r["current"]) for r in scale["rows"]] == [
        ("A", "≤ 2", False), ("B", "2 – 3", True), ("C", "3 – 4", False),  # as the PCR states them
        ("D", "4 – 5", False), ("E", "> 5", False)]
    scale = view.class_scale(make_result(assessed=False))
    assert not scale["graded"] and [r["cls"] for r in scale["rows"]] == list("ABCDE")


def test_wrap_counts_cjk_double_and_cuts_long_words():
    assert fmt.wrap("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert fmt.wrap("电池包电池包", 6) == ["电池包", "电池包"]
    assert fmt.wrap("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert fmt.wrap("ab " + "x" * 25, 10) == ["ab", "x" * 10, "x" * 10, "x" * 5]  # a long word after another: split too


def test_text_is_measured_with_the_fonts_advance_widths():
    """Noto Sans CJK SC's advance widths (hmtx, 1,000 units per em): "W" 878 regular and 915 bold, "i" 275,
    a space 224, "e" 554; an accented letter as its base letter; CJK 1 em; emoji 1.25 em; other characters
    1.07 em (the widest Latin, Greek or Cyrillic glyph of the bold face: "×" and curly quotes are 1 em)."""
    assert fmt.text_width("W", 10.0) == pytest.approx(8.78)
    assert fmt.text_width("W", 10.0, bold=True) == pytest.approx(9.15)
    assert fmt.text_width("Wi W", 1.0) == pytest.approx(0.878 + 0.275 + 0.224 + 0.878)
    assert fmt.text_width("电池é", 2.0) == pytest.approx(2.0 + 2.0 + 2 * 0.554)
    assert fmt.text_width("e\u0301×“😀", 1.0) == pytest.approx(0.554 + 0.0 + 1.07 + 1.07 + 1.25)
    assert fmt.fit_size("WWWW", 30.0, 9.5, bold=True) == 8.1  # 30 / 3.66 = 8.196..., rounded down
    assert fmt.fit_size("ii", 30.0, 9.5) == 9.5
    # 13.5 units bold: "WWW" is 37.06 units; 40 units hold "WWW" and not "WWW W"
    assert fmt.wrap_measured("WWW W", 40.0, 13.5, bold=True) == ["WWW", "W"]
    assert fmt.wrap_measured("W" * 7, 40.0, 13.5, bold=True) == ["WWW", "WWW", "W"]


def test_nice_step():
    assert [fmt.nice_step(s) for s in (60.0, 100.0, 5112.0, 0.0)] == [20.0, 25.0, 2000.0, 1.0]


def test_inputs_are_not_modified(tmp_path):
    result = make_result()
    before = make_result()
    render_label(result, tmp_path)
    assert result == before
