"""What a person reads (issue 20 parts 1 and 3): one number policy and unmistakable drafts.

The demo is run as a user runs it (``pcf footprint ... --label --report``, ``pcf label --variant
all``, ``pcf compare --claim reduction``) and every PDF it writes is read back with
``pdftotext``. Hand-worked numbers:

- 4 significant figures (pcf.core.numbers.FIGURES): 2258.017 -> ``2,258``; 0.5538907 ->
  ``0.5539``; 4.91e-05 -> ``0.00004910``; 9.99996 -> ``10.00``.
- Three stages of 1000.4 kg each: each is shown as ``1,000`` (4 figures), their total 3001.2 as
  ``3,001``; the shown parts add up to 3,000, so the table says so.
- The draft watermark is rgba(192, 57, 43, 0.22) on a label: over white it is
  0.22 x (192, 57, 43) + 0.78 x 255 = (241, 211, 208) (0.16 in the report: (244, 223, 221)).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import cli
from pcf.api import compute
from pcf.core import numbers
from pcf.core.errors import PCRError
from pcf.pcr.loader import load_pcr
from pcf.render import render_report
from pcf.render.label import issued_label, variant_svg
from tests import builders
from tests.conftest import REPO

SVG = "{http://www.w3.org/2000/svg}"
NMC811 = REPO / "examples" / "battery" / "nmc811-pack.yaml"
PV = REPO / "examples" / "pv" / "mono-si-module-cn.yaml"
ISSUED = {"number": "CBX-2026-000042-17", "valid_from": "2026-03-01", "valid_until": "2028-02-29",
          "issuer": "cb-example", "qr": "https://labels.example.org/pcf/CBX-2026-000042-17"}
#: A number in scientific notation as a word of its own (not inside a hash such as 6ebc3338).
SCIENTIFIC = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?[eE][-+]?\d+(?!\w)")

runner = CliRunner()


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def tinted(pdf: bytes | Path, colour: tuple[int, int, int], page: int = 1) -> int:
    """Pixels of ``page`` within 6 of ``colour`` in every channel, the page drawn 300 pixels wide."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.pdf"
        path.write_bytes(pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes())
        png = subprocess.run(["pdftoppm", "-png", "-scale-to-x", "300", "-scale-to-y", "-1", "-f", str(page), "-l",
                              str(page), "-singlefile", str(path)], capture_output=True, check=True).stdout
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for p in image.getdata() if all(abs(a - b) <= 6 for a, b in zip(p, colour)))


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def demo(open_default, tmp_path_factory):
    """The demo's commands, plus every label size and a reduction claim; CLI output per run."""
    out = tmp_path_factory.mktemp("demo")
    runs = {}
    for name, args in (("nmc811", [NMC811, "--label", "--report", "--monte-carlo", "40", "--seed", "1"]),
                       ("pv", [PV, "--label", "--report"]),
                       ("southwest", [NMC811, "--scenario", "plant_cn_southwest"])):
        result = runner.invoke(cli.app, ["footprint", *map(str, args), "--out", str(out)])
        assert result.exit_code == 0, result.output
        runs[name] = result.output
    for args in (["SKU-NMC811-PACK.result.json", "--out", "nmc", "--variant", "all", "--size", "20"],
                 ["SKU-PV-MONO-CN.result.json", "--out", "pv", "--variant", "all", "--size", "30"],
                 ["SKU-PV-MONO-CN.result.json", "--out", "pv8", "--variant", "compact", "--size", "8"]):
        result = runner.invoke(cli.app, ["label", str(out / args[0]), *[str(out / a) if a in ("nmc", "pv", "pv8")
                                                                       else a for a in args[1:]]])
        assert result.exit_code == 0, result.output
    result = runner.invoke(cli.app, ["compare", str(out / "SKU-NMC811-PACK.result.json"),
                                     str(out / "SKU-NMC811-PACK.plant_cn_southwest.result.json"),
                                     "--claim", "reduction", "--out", str(out / "cmp")])
    assert result.exit_code in (0, 1), result.output        # 1: the claim's conditions are not met
    return out, runs


def demo_pdfs(out: Path) -> list[Path]:
    pdfs = sorted(out.rglob("*.pdf"))
    names = {p.name for p in pdfs}
    for expected in ("SKU-NMC811-PACK.label.pdf", "SKU-NMC811-PACK.label-compact.pdf",
                     "SKU-NMC811-PACK.cf-declaration.pdf", "SKU-NMC811-PACK.report.pdf",
                     "SKU-PV-MONO-CN.label-compact.pdf", "SKU-PV-MONO-CN.report.pdf",
                     "SKU-NMC811-PACK.plant_cn_southwest.vs.SKU-NMC811-PACK.reduction.pdf"):
        assert expected in names, expected
    return pdfs


# --------------------------------------------------------------------------- the number policy


@pytest.mark.parametrize("value, text", [
    (2258.017, "2,258"), (207.58, "207.6"), (0.5538907, "0.5539"), (4.91e-05, "0.00004910"),
    (9.99996, "10.00"), (0.2, "0.2000"), (-0.0001234, "-0.0001234"), (12_345_678.0, "12,350,000"),
    (0.0, "0"), (2e-12, "≈ 0"), (None, "–"), (float("nan"), "nan"),
])
def test_figure_has_four_significant_figures_and_no_exponent(value, text):
    assert numbers.figure(value) == text


def test_amount_and_plain_text():
    assert numbers.amount(36000.0) == "36,000" and numbers.amount(0.71) == "0.71" and numbers.amount(60) == "60"
    assert numbers.amount(1e-7) == "0.0000001"
    assert numbers.plain_text("declared 4.91e-05 kg, 1e+04 kWh, sha 6ebc3338e5, 2.5E3.") == \
        "declared 0.0000491 kg, 10,000 kWh, sha 6ebc3338e5, 2,500."


@pytest.mark.parametrize("value, text", [
    (12.5, "+12.50"), (-1.42039, "-1.420"), (0.0, "0"), (1234.6, "+1,235"), (None, "–"),
])
def test_signed_writes_the_sign_of_a_difference(value, text):
    assert numbers.signed(value) == text


def test_figures_of_many_variants_are_each_rows_text_and_decide_nothing():
    """A number of many variants (pcf.model.lanes.Lane, ``pcf batch``'s arrays) written by the
    number policy gives every row its own text and marks no row as having taken another path:
    before, ``figure`` turned it into a plain float, which sent every SKU whose lint message
    holds a number (the NMC811 pack's mass balance) down a path of its own, one evaluation per
    SKU (100,000 rows: hours instead of seconds)."""
    from pcf.model.lanes import Lane, expand, lanes

    with lanes(3) as state:
        texts = [numbers.figure(Lane([2258.017, 207.58, 4.91e-05])), numbers.amount(Lane([36000.0, 0.71, 60.0])),
                 numbers.signed(Lane([12.5, -1.42039, 0.0])), numbers.figure(Lane([5.0, 5.00001, 5.0]))]
    assert not state.diverged.any()
    assert [[expand(t, state.texts, row) for t in texts] for row in range(3)] == [
        ["2,258", "36,000", "+12.50", "5.000"], ["207.6", "0.71", "-1.420", "5.000"],
        ["0.00004910", "60", "0", "5.000"]]


def test_figures_of_an_array_are_figure_of_each_value():
    """``figures_of`` (the batch's texts of many SKUs at once, found with numpy) writes what
    ``figure`` writes value by value: worked out by hand at the edges (a tie rounds to even,
    999.95 is stored a little above and becomes 1,000), and on 60,000 values of many magnitudes."""
    import numpy as np

    values = [2258.017, 207.58, 0.5538907, 4.91e-05, 9.99996, 12_345_678.0, 0.0, -0.0, 2e-12, float("nan"),
              1234.5, 1235.5, 999.95, -0.0001234, 1e25, float("-inf")]
    assert numbers.figures_of(np.array(values)) == [
        "2,258", "207.6", "0.5539", "0.00004910", "10.00", "12,350,000", "0", "0", "≈ 0", "nan",
        "1,234", "1,236", "1,000", "-0.0001234", "10,000,000,000,000,000,905,969,664", "-inf"]
    rng = np.random.default_rng(18)
    many = np.concatenate([rng.lognormal(0, 9, 20_000) * rng.choice([-1.0, 1.0], 20_000),
                           rng.integers(1, 100_000, 20_000) / 10.0 ** rng.integers(0, 9, 20_000) + 0.5,
                           np.round(rng.uniform(40, 700, 20_000), 3)])
    for figures, grouping in ((4, True), (6, False), (2, True)):
        assert numbers.figures_of(many, figures, grouping) == [numbers.figure(x, figures, grouping)
                                                               for x in many.tolist()]


def test_text_of_a_lane_formats_each_row_bit_for_bit():
    """A Lane's ``format`` writes each distinct value once: 0.0 and -0.0 (equal, but written
    "0.0" and "-0.0") and NaN keep their own texts."""
    from pcf.model.lanes import Lane, expand, lanes

    values = [0.0, -0.0, 1.25, float("nan"), 2.5] * 100
    with lanes(len(values)) as state:
        text = f"{Lane(values):.1f}"
    assert [expand(text, state.texts, row) for row in range(5)] == ["0.0", "-0.0", "1.2", "nan", "2.5"]
    assert [expand(text, state.texts, row) for row in range(495, 500)] == ["0.0", "-0.0", "1.2", "nan", "2.5"]


def test_rounded_parts_say_when_they_do_not_add_up():
    parts = numbers.rounded_parts([1000.4, 1000.4, 1000.4], 3001.2)
    assert parts.parts == ["1,000"] * 3 and parts.total == "3,001" and not parts.adds_up
    assert "add up to 3,000, not to the rounded total 3,001" in parts.note[1]
    fine = numbers.rounded_parts([2003.2124, 208.35818, 45.892859, 0.55389073], 2258.0173449)
    assert fine.parts == ["2,003", "208.4", "45.89", "0.5539"] and fine.total == "2,258" and fine.note is None


def test_report_stage_table_notes_rounded_parts_that_do_not_add_up(open_default, tmp_path):
    d = builders.declaration(builders.result(
        fossil=3001.2, stages={"raw_material_acquisition": 1000.4, "production": 1000.4, "distribution": 1000.4},
        declared_per_reference_flow=None))
    text = re.sub(r"\s+", " ", pdftotext(render_report(d, tmp_path)))
    assert re.search(r"合计 Total 3,001 ", text)
    assert "the rounded parts add up to 3,000, not to the rounded total 3,001" in text


def test_no_demo_pdf_prints_a_number_in_scientific_notation(demo):
    out, _ = demo
    for pdf in demo_pdfs(out):
        found = SCIENTIFIC.findall(pdftotext(pdf))
        assert not found, f"{pdf.name}: {found[:5]}"


@pytest.mark.parametrize("name, pid", [("nmc811", "SKU-NMC811-PACK"), ("pv", "SKU-PV-MONO-CN")])
def test_label_per_reference_flow_figure_is_the_cli_total(demo, name, pid):
    """The CLI's total row and the label's "= ... kg CO2e / item" line show the same text."""
    out, runs = demo
    cli_total = re.search(r"│ Total\s+│\s+([\d,.]+) │", runs[name]).group(1)
    label = re.sub(r"\s+", " ", pdftotext(out / f"{pid}.label.pdf"))
    assert f"= {cli_total} kg CO2e / item" in label
    report = re.sub(r"\s+", " ", pdftotext(out / f"{pid}.report.pdf"))
    assert re.search(rf"合计 Total {re.escape(cli_total)} ", report)
    if name == "nmc811":
        assert cli_total == "2,258"      # 2258.017... kg CO2e (tests/golden/nmc811-pack.result.json.gz)


# --------------------------------------------------------------------------- drafts


def test_every_draft_in_the_demo_has_no_qr_code_and_a_watermark(demo):
    out, _ = demo
    svgs = [p for p in out.rglob("*.svg") if ".label" in p.name or "declaration" in p.name]
    assert len(svgs) >= 8
    for path in svgs:
        text = path.read_text(encoding="utf-8")
        root = ET.fromstring(text)
        assert root.find(f".//{SVG}svg[@id='qr']") is None, path.name
        assert "Scan to verify" not in text and "扫码核验" not in text, path.name
        mark = root.find(f".//{SVG}g[@id='draft-watermark']")
        assert mark is not None and "rotate(-" in mark.get("transform"), path.name
        assert " ".join(t.text for t in mark.iter(f"{SVG}text")) == "草稿 DRAFT — not issued", path.name
    for pdf in demo_pdfs(out):
        if "reduction" in pdf.name or "verification" in pdf.name:
            continue
        text = pdftotext(pdf)
        assert "Scan to verify" not in text and "扫码核验" not in text, pdf.name
        colour = (244, 223, 221) if "report" in pdf.name else (241, 211, 208)
        for page in range(1, page_count(pdf) + 1):               # the watermark is drawn on every page
            assert tinted(pdf, colour, page) > 600, f"{pdf.name} page {page}"


@pytest.mark.parametrize("variant, size", [("graded", None), ("compact", 20.0), ("compact", 40.0), ("declaration", None)])
def test_an_issued_label_has_its_qr_code_and_no_watermark(variant, size):
    d = builders.declaration(builders.result(declared_per_reference_flow=40.0))
    _, _, svg, _ = variant_svg(d, variant, issued=ISSUED, size_mm=size)
    root = ET.fromstring(svg)
    assert root.find(f".//{SVG}g[@id='draft-watermark']") is None
    assert (root.find(f".//{SVG}svg[@id='qr']") is not None) is (size != 20.0)    # too small at 20 mm
    pdf = issued_label(d, ISSUED, variant=variant, size_mm=size)["pdf"]
    assert tinted(pdf, (241, 211, 208)) < 150      # a draft has thousands (600 at the least)


# --------------------------------------------------------------------------- labels that say what they mean


@pytest.fixture(scope="module")
def china_label(open_default):
    """NMC811 under the China label pilot rule (tests/golden/cases.json: nmc811-pack.cn-label)."""
    return compute(NMC811, pcr_id="cn-label-lithium-battery", method="ipcc-2021-gwp100")


@pytest.mark.parametrize("variant", ["graded", "declaration"])
def test_the_china_label_names_gbt_24067(china_label, variant):
    _, _, svg, _ = variant_svg(china_label, variant, font="F")
    standard = "".join(ET.fromstring(svg).find(f".//*[@id='standard']").itertext())
    assert "GB/T 24067-2024" in standard and "ISO 14067" not in standard


def test_the_eu_label_keeps_the_study_standard(demo):
    out, _ = demo
    text = re.sub(r"\s+", " ", pdftotext(out / "SKU-NMC811-PACK.label.pdf"))
    assert "标准 Standard ISO 14067:2018" in text      # eu-battery-cfb-ev names none: study.standard


@pytest.mark.parametrize("size", [8.0, 20.0, 30.0, 60.0])
def test_every_label_size_says_what_the_declared_unit_is_in_both_languages(china_label, size):
    _, _, svg, _ = variant_svg(china_label, "compact", font="F", size_mm=size)
    root = ET.fromstring(svg)
    assert "".join(root.find(f".//{SVG}text[@id='unit']").itertext()) == "kg CO2e/kWh*"
    words = " ".join("".join(t.itertext()) for t in root.find(f".//{SVG}g[@id='declared-unit']"))
    assert "* 按全生命周期交付电量计" in words and "per kWh delivered over the service life" in words.replace("  ", " ")


def test_demo_labels_carry_the_unit_words_and_the_whole_product_name(demo):
    out, _ = demo
    compact = re.sub(r"\s+", " ", pdftotext(out / "nmc" / "SKU-NMC811-PACK.label-compact.pdf"))
    assert "按全生命周期交付电量计" in compact and "per kWh delivered over the service life" in compact
    label = re.sub(r"\s+", " ", pdftotext(out / "SKU-PV-MONO-CN.label.pdf"))
    assert "…" not in label
    assert ("PV module, mono-Si, glass-backsheet, aluminium frame, 60 cells, 1.6 m2, 286 Wp, made in China"
            in label)


#: A battery model designation of 262 characters (the kind a type-approval file carries): 5 lines
#: of the declaration's 56 characters at full size, more than the 2 lines it used to keep.
LONG_NAME = ("EV traction battery pack NMC811/graphite 96S2P prismatic cells, 75.2 kWh nominal, 355 V, "
             "liquid-cooled aluminium housing with integrated battery management system and "
             "crash frame, assembled in Ningde, Fujian, China, for passenger cars sold in the EU, "
             "model year 2027 variant B")
#: A name of 40 repeated designations (1,480 characters): the declaration moves its body down.
HUGE_NAME = " ".join(f"designation-part-{i:02d} of a very long model name" for i in range(40))


@pytest.mark.parametrize("variant", ["declaration", "graded"])
@pytest.mark.parametrize("name", [LONG_NAME, HUGE_NAME], ids=["262-chars", "1480-chars"])
def test_a_long_product_name_is_printed_whole(variant, name):
    """Issue 20: the Art. 7 declaration cut a product name after two lines ("…"), the graded
    label let a fifth line run into the product id. Every word of the name is in the PDF's text,
    in order, and no name line leaves the page or overlaps the next element."""
    from tests.registry_util import make_declaration

    d = make_declaration(name=name)
    assert d.assessment.pcr.id == "eu-battery-cfb-ev"  # the Art. 7 layout
    files = issued_label(d, ISSUED, variant=variant)   # issued: no watermark between the words
    text = re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-", "-"], input=files["pdf"], capture_output=True,
                                                check=True).stdout.decode("utf-8"))
    assert name in text and "…" not in text
    root = ET.fromstring(files["svg"].decode("utf-8") if isinstance(files["svg"], bytes) else files["svg"])
    lines = list(root.find(f".//{SVG}g[@id='product-name']").iter(f"{SVG}text"))
    assert " ".join(t.text for t in lines) == name
    ys = [float(t.get("y")) for t in lines]
    size = float(lines[0].get("font-size"))
    assert size >= (8.0 if name == LONG_NAME else 3.0)   # 2 mm and more at 4 units a mm for a realistic name
    assert all(b - a >= size for a, b in zip(ys, ys[1:]))   # lines do not overlap each other
    words = re.findall(r'<page width="([\d.]+)"|<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"',
                       subprocess.run(["pdftotext", "-bbox", "-", "-"], input=files["pdf"], capture_output=True,
                                      check=True).stdout.decode("utf-8"))
    page = float(words[0][0])   # every word as drawn lies on the page [pt] (none runs off the right edge)
    assert all(0 <= float(x0) and float(x1) <= page for _, x0, x1 in words[1:])
    if variant == "graded":   # the last line's descent (0.25 em) clears the product id's line (cap height 0.75 em)
        [pid] = [t for t in root.iter(f"{SVG}text") if "Product ID" in "".join(t.itertext())]
        assert ys[-1] + 0.25 * size <= float(pid.get("y")) - 0.75 * float(pid.get("font-size"))


#: An all-capitals name and product ids as a type-approval file or an SKU system writes them: capitals are
#: 0.58-0.92 em wide in the bold face, more than the 0.55 em a Latin letter the labels assumed (both ran off the
#: label, cut at its edge: "HOUSING" and "REV-B").
CAPITALS = "LFP BATTERY MODULE 280AH WITH WMW HOUSING"
LONG_ID = "NMC811-PACK-75KWH-CATL-2026-EU-VARIANT-0042-REV-B"


@pytest.mark.parametrize("variant", ["declaration", "graded"])
@pytest.mark.parametrize("name, pid", [(CAPITALS, LONG_ID), (CAPITALS, "-".join([LONG_ID] * 3)),
                                       (" ".join([CAPITALS] * 4), "-".join([LONG_ID] * 3))],
                         ids=["49-chars", "149-chars", "149-chars-4-line-name"])
def test_a_capitalised_name_and_a_long_product_id_stay_on_the_label(variant, name, pid):
    """Every word of the name and every character of the id is printed, and every word as drawn lies
    within the label's frame: the graded label's inner margin is at 344 of 360 units (86 mm), the
    declaration's at 572 of 592 (the page less its 5 mm margin); the id's lines clear the name and the
    headline box."""
    from tests.registry_util import make_declaration

    d = make_declaration(name=name, id=pid)
    files = issued_label(d, ISSUED, variant=variant)
    text = subprocess.run(["pdftotext", "-", "-"], input=files["pdf"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert name in re.sub(r"\s+", " ", text) and pid in re.sub(r"\s+", "", text)
    words = re.findall(r'<page width="([\d.]+)"|<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"',
                       subprocess.run(["pdftotext", "-bbox", "-", "-"], input=files["pdf"], capture_output=True,
                                      check=True).stdout.decode("utf-8"))
    page = float(words[0][0])  # [pt]
    assert all(0 <= float(x0) and float(x1) <= page * (352 / 360 if variant == "graded" else 572 / 592) + 0.5
               for _, x0, x1 in words[1:])  # nothing runs into the graded label's border (from 359 units)
    ours = re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
                      subprocess.run(["pdftotext", "-bbox", "-", "-"], input=files["pdf"], capture_output=True,
                                     check=True).stdout.decode("utf-8"))
    ours = [float(x1) for x1, word in ours if word in name.split() or (len(word) > 3 and word in pid)]
    assert len(ours) >= len(CAPITALS.split()) + 1  # every word of the name, the id's line(s)
    assert max(ours) <= page * (344 / 360 if variant == "graded" else 572 / 592) + 0.5  # within the margin
    if variant == "graded":
        root = ET.fromstring(files["svg"].decode("utf-8") if isinstance(files["svg"], bytes) else files["svg"])
        lines = list(root.find(f".//{SVG}g[@id='product-name']").iter(f"{SVG}text"))
        bottom = max(float(t.get("y")) for t in lines) + 0.25 * float(lines[0].get("font-size"))
        first = next(i for i, t in enumerate(root.iter(f"{SVG}text")) if "Product ID" in "".join(t.itertext()))
        ids = list(root.iter(f"{SVG}text"))[first:first + (1 if pid == LONG_ID else 2)]
        assert "".join("".join(t.itertext()) for t in ids).replace("产品编号 Product ID  ", "") == pid
        size = float(ids[0].get("font-size"))
        assert size >= (6.0 if pid == LONG_ID else 3.0)
        assert float(ids[0].get("y")) - 0.85 * size >= bottom          # the id's 产品编号 clears the name
        assert float(ids[-1].get("y")) + 0.25 * size <= 126.0           # its descent clears the headline box


def test_the_contribution_chart_names_its_bars_whole():
    """Figure 4 cut a name at 34 characters ("lithium hydroxide production, fro…"): now the
    name wraps (the NMC811 example's 73-character name: 3 lines of at most 34) and its row grows
    to 11 units a line + 18 (51 units; a one-line row keeps 36). The axis over 0..500 kg steps by
    the first round number (1, 2, 2.5, 5 x 10^k) of at least 500 / 4 = 125, that is 200, up to 600:
    it reads 0, 200, 400, 600 (not 200.0)."""
    from pcf.render.report import contribution_rows, stage_chart

    name = "lithium hydroxide production, from Australian spodumene, refined in China"
    result = builders.result(fossil=700.0, contributions=[
        {"process": "cam", "stage": "raw_material_acquisition", "kind": "background", "kg_co2e": 500.0,
         "background": "lioh", "name": name},
        {"process": "pack", "stage": "production", "kind": "direct", "kg_co2e": 200.0}])
    rows = contribution_rows(result)
    assert [r["name_lines"] for r in rows] == [["lithium hydroxide production, from", "Australian spodumene, refined in",
                                                "China"], ["pack"]]
    chart = stage_chart(rows)
    assert [round(b["ty"] - b["top"], 1) for b in chart["bars"]] == [25.5, 18.0]   # half of 51 and of 36
    assert [t["text"] for t in chart["ticks"]] == ["0", "200", "400", "600"]


@pytest.mark.parametrize("emitted, taken_up, net, text", [
    (1.669, 1.669, -1.958e-08, "≈ 0"),   # the PV demo: 1.2e-8 of the gross flows is what subtracting left
    (1.669, 1.669, 0.0, "0"),
    (6.54, 6.4, 0.14, "0.1400"),          # tests/test_biogenic.py's crate: a real net, 4 significant figures
])
def test_the_net_biogenic_figure_reads_about_zero_when_only_rounding_is_left(emitted, taken_up, net, text):
    """The PV report printed "Net biogenic -0.00000001958 kg CO2e" beside 1.669 kg emitted and
    taken up (issue 20: a regulator reads a figure nobody measured)."""
    from pcf.lca.result import BiogenicCarbon
    from pcf.render.biogenic_view import _net_text

    bio = BiogenicCarbon(co2_emissions_kg=emitted, co2_removals_kg=taken_up, net_kg_co2e=net,
                         content_product_kg_c=None, content_packaging_kg_c=None, content_product_kg_co2e=None,
                         content_packaging_kg_co2e=None, content_co2_per_c=44.009 / 12.011, content_source=None)
    assert _net_text(bio) == text


@pytest.mark.parametrize("old, new, where", [
    ("standard: GB/T 24067-2024", 'standard: ""', "standard"),
    ("label_zh: 按全生命周期交付电量计", 'label_zh: ""', "declared_unit.label_zh"),
])
def test_an_empty_standard_or_unit_words_in_a_pcr_is_refused_with_its_line(tmp_path, old, new, where):
    text = (REPO / "pcr_rules" / "cn-label-lithium-battery.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "cn-label-lithium-battery.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    line = text[:text.index(old)].count("\n") + 1
    with pytest.raises(PCRError, match=rf"{re.escape(str(path))}:{line}: {re.escape(where)}"):
        load_pcr(path)


# --------------------------------------------------------------------------- the report


def test_the_report_states_the_service_life_that_drives_the_declared_unit(demo):
    """NMC811: service_life_years = 8 sets 11,280 kWh per pack (23.5 x 60 x 8); 1.2 says so
    instead of "No service life ... stated", and that the use stage is outside the boundary."""
    out, _ = demo
    text = re.sub(r"\s+", " ", pdftotext(out / "SKU-NMC811-PACK.report.pdf"))
    assert "No service life" not in text
    assert "使用寿命 Service life 8 years (模型参数 model parameter service_life_years)" in text
    assert "service life; 11,280 kWh per" in text
    assert "outside the system boundary (see 1.3)" in text
    assert "this study's cradle-to-grave excludes the use stage, as PCR eu-battery-cfb-ev defines it" in text


def test_stages_a_cradle_to_gate_study_leaves_out_read_not_included(demo):
    """The PV module is cradle-to-gate (mono-si-module-cn.yaml) under pv-module, whose stages
    Distribution and End of life map only to model stages after the gate: its declaration and
    report 6.2 said "0" and "0.0 %" for them while the report's limitations say the end of life is
    not included. The NMC811 pack (cradle-to-grave) keeps its figures."""
    from pcf.declaration import read_declaration
    from pcf.render.declaration import declaration_context
    from pcf.render.report import _assessment

    out, _ = demo
    pv = read_declaration(out / "SKU-PV-MONO-CN.result.json")
    assert pv.result.study.boundary == "cradle-to-gate"
    rows = {s["en"]: (s["text"], s["share_text"]) for s in declaration_context(pv, "F")["stages"]}
    assert rows["Distribution"] == rows["End of life"] == ("不含 not included", "–")
    assert rows["Module manufacturing (silicon to module)"][0] != "不含 not included"
    report = {s["name"]: s["text"] for s in _assessment(pv)["stages"]}
    assert report["End of life"] == "不含 not included (cradle-to-gate)"
    nmc = read_declaration(out / "SKU-NMC811-PACK.result.json")
    assert all(s["text"] != "不含 not included" for s in declaration_context(nmc, "F")["stages"])


def test_the_pv_report_prints_the_ecs_thresholds_as_the_rule_gives_them(demo):
    """pcr_rules/pv-module.yaml states the CRE ECS tiers as max 450 and 550 (strict): 6.3 printed
    them as floats, "ECS<450 < 450.0; ECS<550 < 550.0"."""
    out, _ = demo
    text = re.sub(r"\s+", " ", pdftotext(out / "SKU-PV-MONO-CN.report.pdf"))
    assert "thresholds ECS<450 < 450; ECS<550 < 550; ECS>=550 kg CO2e/kWp" in text


@pytest.mark.parametrize("pid", ["SKU-NMC811-PACK", "SKU-PV-MONO-CN"])
def test_the_report_prints_no_command_line(demo, pid):
    out, _ = demo
    text = pdftotext(out / f"{pid}.report.pdf")
    commands = "footprint|check|label|lint|report|issue|compare|verify|db|setup|export|batch|serve"
    found = re.findall(rf"pcf (?:{commands})\b.*|(?<![\w-])--[a-z][a-z-]+.*", text)
    assert not found, found[:3]


@pytest.mark.parametrize("pid", ["SKU-NMC811-PACK", "SKU-PV-MONO-CN"])
def test_the_contributions_heading_is_on_the_page_of_its_chart(demo, pid):
    """Section 3's heading and lead paragraph stay with Figure 4 (the chart cannot be split): in
    the NMC811 demo report the chart moved to the next page and left "3 贡献分析 Contributions"
    alone at the foot of page 10 (seen as PNG)."""
    out, _ = demo
    pages = pdftotext(out / f"{pid}.report.pdf").split("\f")
    [page] = [p for p in pages if re.search(r"^\s*3\s+贡献分析\s+Contributions", p, re.M)]
    assert "Figure 4" in page and "Top 15 of" in page


@pytest.mark.parametrize("text, expected", [
    ("polyvinylfluoride film (backsheet)", True), ("no open factor ([P] r5568; [F] pv_module_eva)", True),
    ("聚氟乙烯薄膜 PVF film", False), ("背板", False), ("1,234", False), ("", False), (None, False)])
def test_a_cell_is_english_when_it_has_latin_letters_and_no_chinese(text, expected):
    from pcf.render.output import english

    assert english(text) is expected


@pytest.mark.parametrize("pid", ["SKU-NMC811-PACK", "SKU-PV-MONO-CN"])
def test_long_words_of_the_cut_off_table_break_at_syllables_not_at_any_letter(demo, pid):
    """Issue 20: in the narrow columns of section 5's table, "polyvinylfluorid / e film",
    "pyrometallurgic / al" and "pv_module_backshee / t_pvf_ieapvps2020" broke at any letter
    (seen as PNG). Every word of 11 letters or more of an excluded input's name or reason is now
    printed whole, or hyphenated ("dismant- ling"), or broken after an underscore of an id."""
    out, _ = demo
    raw = subprocess.run(["pdftotext", "-raw", str(out / f"{pid}.report.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout  # in drawing order: a cell's lines one after another
    text = re.sub(r"\s+", " ", raw)
    result = json.loads((out / f"{pid}.result.json").read_text(encoding="utf-8"))
    words = {w for c in result["cut_off"] for w in re.findall(r"[A-Za-z_]{11,}[0-9]*", f"{c['name']} {c['reason']}")}
    assert {"polyvinylfluoride", "pv_module_backsheet_pvf_ieapvps2020"} <= words or pid != "SKU-PV-MONO-CN"
    for word in sorted(words):
        pieces = r"(?:-? )?".join(re.escape(word[i:i + 1]) for i in range(len(word)))
        found = [m.group(0) for m in re.finditer(pieces, text)]
        assert found, f"{word!r} is not in the report"
        for shown in found:
            gaps = re.findall(r"(.)(-? )(?=.)", shown)
            assert all(hyphen == "- " or before == "_" for before, hyphen in gaps), f"{word!r} printed as {shown!r}"


def test_stage_rows_are_in_life_cycle_order_whatever_the_order_of_the_result():
    """Issue 20 (seen as PNG): a renewed label, drawn from the registry's declaration whose keys are
    sorted (RFC 8785), listed Distribution, End of life, Production, Raw materials, with each
    stage in another colour than on the label it renewed."""
    from pcf.render.view import stage_rows

    stages = {"raw_material_acquisition": 2003.0, "production": 208.4, "distribution": 45.89, "end_of_life": 0.55}
    ordered = builders.result(fossil=sum(stages.values()), stages=stages)
    shuffled = builders.result(fossil=sum(stages.values()), stages=dict(sorted(stages.items())))
    assert list(shuffled.stages) == ["distribution", "end_of_life", "production", "raw_material_acquisition"]
    rows = stage_rows(shuffled)
    assert [r["key"] for r in rows] == list(stages)
    assert [(r["key"], r["colour"]) for r in rows] == [(r["key"], r["colour"]) for r in stage_rows(ordered)]


def test_an_issued_label_is_drawn_again_whatever_its_product_ids_length():
    """Product ids are at most 160 bytes since issue 18's ninth session (files, QR code): a draft label
    with a longer id is refused, but a label issued before the limit is drawn again by its number
    (`pcf registry export`, its files named by the number): its 170-character id on two lines."""
    from pcf.core.errors import RenderError
    from pcf.render.label import label_svg
    from tests.registry_util import make_declaration

    d = make_declaration(id="X" * 170)
    with pytest.raises(RenderError, match="is 170 bytes long; file names and the label's QR code hold ids of at most "
                                          "160 bytes"):
        label_svg(d)
    files = issued_label(d, ISSUED, variant="graded")
    text = subprocess.run(["pdftotext", "-", "-"], input=files["pdf"], capture_output=True, check=True).stdout
    assert "X" * 170 in re.sub(r"\s+", "", text.decode("utf-8"))
