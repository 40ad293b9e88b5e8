"""pcf.render.weasyfast: SVG text drawn in runs and one font subset per face, against WeasyPrint's
own code (a fresh process with PCF_PLAIN_WEASYPRINT=1) on the same documents.

Pages are compared as 72 dpi greyscale images (pdftoppm) and as text (pdftotext); kerning inside a
run moves glyphs by a fraction of a pixel, so at most 1 % of the pixels may differ by more than a
quarter of the grey range.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from pcf.core.errors import RenderError
from pcf.render import label, output, weasyfast
from pcf.render.label import LABEL_MM
from tests.test_render import embedded_cjk_fonts, make_result

PLAIN = """
import sys
import zlib
from pathlib import Path
from pcf.render import output, weasyfast
svgs = [Path(name).read_text(encoding="utf-8") for name in sys.argv[4:]]
pdf = output.html_to_pdf(Path(sys.argv[1]).read_text(encoding="utf-8"), Path(sys.argv[2]), svgs=svgs)
assert weasyfast.install() is False
Path(sys.argv[3]).write_bytes(pdf)
"""


def plain_pdf(html: str, tmp_path: Path, name: str, svgs: tuple = ()) -> Path:
    """The PDF WeasyPrint's own code makes of ``html`` showing ``svgs`` (a fresh process, patches off)."""
    source, target = tmp_path / f"{name}.html", tmp_path / f"{name}-plain.pdf"
    source.write_text(html, encoding="utf-8")
    shown = [tmp_path / f"{name}-{i}.svg" for i in range(len(svgs))]
    for path, svg in zip(shown, svgs):
        path.write_text(svg, encoding="utf-8")
    env = {**os.environ, "PCF_PLAIN_WEASYPRINT": "1"}
    subprocess.run([sys.executable, "-c", PLAIN, str(source), str(output.default_templates_dir()), str(target), *map(str, shown)],
                   env=env, check=True, cwd=Path(__file__).resolve().parent.parent)
    return target


def fast_pdf(html: str, tmp_path: Path, name: str, svgs: tuple = ()) -> Path:
    target = tmp_path / f"{name}-fast.pdf"
    target.write_bytes(output.html_to_pdf(html, output.default_templates_dir(), svgs=svgs))
    assert weasyfast.install() is True  # the patches are on in this process
    return target


def gray(pdf: Path, dpi: int = 72) -> np.ndarray:
    """First page of a PDF as a greyscale image (0 black .. 255 white)."""
    data = subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-singlefile", str(pdf)],
                          capture_output=True, check=True).stdout
    magic, size, depth, pixels = data.split(b"\n", 3)
    assert magic == b"P5" and depth == b"255"
    width, height = map(int, size.split())
    return np.frombuffer(pixels[:width * height], dtype=np.uint8).reshape(height, width)


def words(pdf: Path) -> list[str]:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split()


#: An issued label's fields: a draft's diagonal watermark comes out of pdftotext in fragments whose
#: grouping depends on glyph positions to the last digit, so word order is compared on an issued label.
ISSUED = {"number": "CBX-2026-000042-17", "valid_from": "2026-03-01", "valid_until": "2028-02-29",
          "issuer": "cb-example", "qr": "https://labels.example.org/pcf/CBX-2026-000042-17"}


def label_html(issued: dict | None = ISSUED, **changes) -> tuple[str, tuple[str]]:
    """The label PDF's page and the label SVG it shows."""
    declaration = make_result(**changes)
    font, env, svg, mm = label.variant_svg(declaration, "graded", issued=issued)
    assert mm == LABEL_MM
    return output.render_template(env, "label.html.j2", svg=label.Markup(svg), mm=mm, font=font, title="t"), (svg,)


def test_label_pdf_matches_weasyprints_own_drawing(tmp_path):
    html, svgs = label_html()
    fast, plain = fast_pdf(html, tmp_path, "label", svgs), plain_pdf(html, tmp_path, "label", svgs)
    assert words(fast) == words(plain)
    assert "产品碳足迹" in words(fast) and "2.500" in words(fast)
    draft, svgs = label_html(issued=None)   # the same characters, the watermark's in whatever fragments
    fast_draft, plain_draft = fast_pdf(draft, tmp_path, "draft", svgs), plain_pdf(draft, tmp_path, "draft", svgs)
    assert sorted("".join(words(fast_draft))) == sorted("".join(words(plain_draft)))
    assert (abs(gray(fast_draft).astype(int) - gray(plain_draft).astype(int)) > 64).mean() < 0.01
    a, b = gray(fast).astype(int), gray(plain).astype(int)
    assert a.shape == b.shape == (412, 256)  # 90 x 145 mm at 72 dpi (255.1 x 411.0 pt, rounded up)
    assert (abs(a - b) > 64).mean() < 0.01
    assert (a < 128).mean() > 0.05  # the page is drawn, not blank
    qr = (slice(286, 341), slice(190, 245))  # the QR code: 76 x 76 units at (269, 404), 72/90.7 px a unit
    assert (a[qr] < 128).mean() > 0.3 and (abs(a[qr] - b[qr]) > 64).mean() < 0.005
    assert embedded_cjk_fonts(fast)


def test_every_text_of_the_graded_label_holds_its_own_words():
    """Each <text> and <tspan> of the graded label (issued and draft) starts with its own words, so that
    each is drawn as one run: a <text> whose words were all in its <tspan>s went to WeasyPrint's own text
    code (an empty Pango layout, then the letter-by-letter path; 6 a drawing, ~2 ms of an issued label)."""
    import xml.etree.ElementTree as ET

    for issued in (ISSUED, {**ISSUED, "self_declared": True}, None):
        svg = label_html(issued)[1][0]
        texts = [e for e in ET.fromstring(svg).iter() if e.tag.rsplit("}", 1)[-1] in ("text", "tspan")]
        assert len(texts) > 30
        for element in texts:
            assert element.text and element.text.strip(), ET.tostring(element, encoding="unicode")[:120]


def test_svg_text_the_runs_cannot_draw_goes_to_weasyprint(tmp_path):
    """Per-letter positions, rotation and letter spacing stay WeasyPrint's (letter by letter); anchored
    and shifted runs land where WeasyPrint puts them."""
    font = output.cjk_font()
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" viewBox="0 0 300 200" '
           f'font-family="{font}">'
           '<text x="10 40 70" y="30" font-size="20">碳足迹</text>'
           '<text x="10" y="70" font-size="20" rotate="20">ABC</text>'
           '<text x="10" y="110" font-size="20" letter-spacing="6">DEF</text>'
           '<text x="290" y="150" font-size="20" text-anchor="end">右对齐 end</text>'
           '<text x="150" y="190" font-size="20" text-anchor="middle">中<tspan dx="10" fill="#777">间 mid</tspan></text>'
           '</svg>')
    html = f'<html><body style="margin:0"><style>@page {{ size: 300px 200px; margin: 0 }}</style>{svg}</body></html>'
    fast, plain = fast_pdf(html, tmp_path, "mixed"), plain_pdf(html, tmp_path, "mixed")
    a, b = gray(fast).astype(int), gray(plain).astype(int)
    assert (abs(a - b) > 64).mean() < 0.01
    text = "".join(words(fast))
    for part in ("碳", "足", "迹", "A", "B", "C", "D", "E", "F", "右对齐", "end", "中", "mid"):
        assert part in text


def test_paths_of_rectangles_as_weasyprint_draws_them(tmp_path):
    """Rectangles (a QR code, two overlapping under even-odd) drawn as PDF rectangles; a path with
    other commands, or with a marker, through WeasyPrint's own parser."""
    from pcf.render.qr import qr_path

    qr = qr_path("https://labels.example.org/labels/BEN-2026-000001-61.html")
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" viewBox="0 0 300 200">'
           '<defs><marker id="m" markerWidth="4" markerHeight="4"><rect width="4" height="4"/></marker></defs>'
           f'<svg x="0" y="0" width="120" height="120" viewBox="0 0 {qr["modules"]} {qr["modules"]}">'
           f'<path d="{qr["d"]}"/></svg>'
           '<path d="M130,10h40v40h-40zM150,30h40v40h-40z" fill-rule="evenodd" fill="#17533a"/>'
           '<path d="M200,10h40v40h-40zM220,30h40v40h-40z" fill="#aa0000"/>'
           '<path d="M130,100 L290,190 L130,190 z" fill="#555"/>'
           '<path d="M200,100h10v10h-10z" marker-start="url(#m)" fill="#00f"/>'
           '</svg>')
    html = f'<html><body style="margin:0"><style>@page {{ size: 300px 200px; margin: 0 }}</style>{svg}</body></html>'
    fast, plain = fast_pdf(html, tmp_path, "paths"), plain_pdf(html, tmp_path, "paths")
    a, b = gray(fast, 144).astype(int), gray(plain, 144).astype(int)
    assert (a < 128).mean() > 0.1
    assert (abs(a - b) > 64).mean() < 0.002
    assert operators(fast, b" re") >= len(qr["d"].split("z")) - 1 + 4 and operators(plain, b" re") < 10


def operators(pdf: Path, operator: bytes) -> int:
    """How often a content-stream operator occurs in the (deflated) streams of a PDF."""
    data, count = pdf.read_bytes(), 0
    for match in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", match.end())
        try:
            count += zlib.decompress(data[match.end():end]).count(operator + b"\n")
        except zlib.error:
            continue
    return count


def test_simple_nodes():
    class Node(dict):
        def __init__(self, tag, text, **attrib):
            super().__init__(attrib)
            self.tag, self.text, self.attrib = tag, text, attrib

    assert weasyfast._simple(Node("text", "abc", x="1", y="2"))
    assert weasyfast._simple(Node("tspan", "abc", dx="7"))
    assert not weasyfast._simple(Node("text", "abc", x="1 2 3"))
    assert not weasyfast._simple(Node("text", "abc", x="1,2"))
    assert not weasyfast._simple(Node("text", "abc", rotate="10"))
    assert not weasyfast._simple(Node("text", "abc", textLength="100"))
    assert not weasyfast._simple(Node("text", "abc", **{"letter-spacing": "2"}))
    assert not weasyfast._simple(Node("text", ""))
    assert not weasyfast._simple(Node("textPath", "abc"))


def glyph_page(text: str, size: int = 60) -> str:
    font = output.cjk_font()
    return (f'<html><body style="margin:0; font-family: \'{font}\'; font-size: {size}px">'
            f'<style>@page {{ size: 400px 100px; margin: 0 }}</style>{text}</body></html>')


def ink(pdf: Path) -> float:
    return float((gray(pdf) < 128).mean())


def test_shared_subset_draws_every_glyph(tmp_path):
    """A face's subset is reused for a document with fewer glyphs and grown for one with a glyph it
    lacks: each PDF shows exactly its own text, in ink (an absent outline would draw nothing)."""
    texts = {"first": "碳足迹 123", "fewer": "碳足 12", "new": "鑫龘"}  # the last: glyphs no label draws
    pdfs = {name: fast_pdf(glyph_page(text), tmp_path, name) for name, text in texts.items()}
    for name, pdf in pdfs.items():
        assert words(pdf) == texts[name].split()
        assert embedded_cjk_fonts(pdf)
        plain = plain_pdf(glyph_page(texts[name]), tmp_path, name)
        assert ink(pdf) == pytest.approx(ink(plain), rel=0.02) and ink(pdf) > 0.02


def test_subset_from_scratch_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(weasyfast, "MAX_SHARED_GLYPHS", 3)
    fast_pdf(glyph_page("甲乙丙丁"), tmp_path, "many")
    pdf = fast_pdf(glyph_page("戊己"), tmp_path, "two")
    assert words(pdf) == ["戊己"] and ink(pdf) > 0.02
    key = next(k for k, (glyphs, _) in weasyfast._SUBSETS.items() if len(glyphs) <= 3)
    assert len(weasyfast._SUBSETS[key][0]) <= 3


def test_digits_and_letters_of_the_next_labels_need_no_new_subset(tmp_path, monkeypatch):
    """A face's first subset holds printable ASCII with its default substitutes (the ``locl`` digits
    Noto Sans CJK SC draws): a document with other digits and letters reuses it, and draws them."""
    made = []
    fast_pdf(glyph_page("壹 0"), tmp_path, "warm")  # installs the patches, seeds the face
    subset = weasyfast._STATE["subset"]
    monkeypatch.setitem(weasyfast._STATE, "subset", lambda font, *args: made.append(font) or subset(font, *args))
    pdf = fast_pdf(glyph_page("壹 9876 QZ-x"), tmp_path, "digits")
    assert made == [] and words(pdf) == ["壹", "9876", "QZ-x"]
    plain = plain_pdf(glyph_page("壹 9876 QZ-x"), tmp_path, "digits")
    assert ink(pdf) == pytest.approx(ink(plain), rel=0.02) and ink(pdf) > 0.02
    pdf = fast_pdf(glyph_page("贰 1"), tmp_path, "new")  # a glyph outside the subset: a new one
    assert len(made) == 1 and "".join(words(pdf)) == "贰1"


def test_a_faces_file_is_copied_once_per_process(tmp_path, monkeypatch):
    monkeypatch.setattr(weasyfast, "_FACE_DATA", {})  # only this page's faces (other tests' pages use others)
    fast_pdf(glyph_page("叁 1"), tmp_path, "one")
    known = dict(weasyfast._FACE_DATA)
    fast_pdf(glyph_page("叁 2"), tmp_path, "two")
    assert known and weasyfast._FACE_DATA == known
    assert all(len(data) > 1_000_000 for data in known.values())  # whole CJK font files


def test_a_line_is_measured_as_weasyprint_measures_it():
    """weasyfast._line lays a one-line text out once, in one-paragraph mode; its width, height and
    baseline are those of WeasyPrint's ``split_first_line``, and a text with a line break is left to it."""
    from math import inf
    from types import SimpleNamespace

    from weasyprint.text.line_break import split_first_line

    output.html_to_pdf(glyph_page("肆"), output.default_templates_dir())  # WeasyPrint loaded, patches on
    svg = SimpleNamespace(font_config=output._font_config())
    for weight in ("normal", "bold"):
        node = {"font-family": output.cjk_font(), "font-weight": weight}
        style = weasyfast._style(svg, node, 11.5)
        for text in ("碳足迹 72.4 kg CO2e / kWh", "BEN-2026-000001-61", "two\nlines", " "):
            layout, *measures = weasyfast._line(text, style, None)
            assert measures == list(split_first_line(text, style, None, inf, 0)[3:]), text
            assert layout.layout is not None  # ready to draw


def test_fewer_collections_while_a_pdf_is_made_and_the_threshold_restored():
    import gc

    before = gc.get_threshold()
    with output.fewer_collections():
        assert gc.get_threshold()[0] >= output.PDF_GC_THRESHOLD
        with output.fewer_collections():  # nested (another PDF in another thread): still raised
            assert gc.get_threshold()[0] >= output.PDF_GC_THRESHOLD
        assert gc.get_threshold()[0] >= output.PDF_GC_THRESHOLD
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError):
        with output.fewer_collections():
            raise RuntimeError("a failed PDF")
    assert gc.get_threshold() == before


def issued_pages(tmp_path) -> tuple[dict[str, str], tuple[str]]:
    """The HTML of an issued label's PDF and of its statement (a self-declared label of a new registry),
    and the label SVG both show."""
    from pcf.registry import issue
    from pcf.registry.render import issued_context, statement_html
    from pcf.registry.declaration import label_declaration
    from tests.registry_util import make_declaration, new_registry

    store, key, _, _ = new_registry(tmp_path)
    issued = issue(store, make_declaration(id="KEPT-1", name="Kept style pack"), key, 730, self_declared=True)
    store.close()
    font = output.cjk_font()
    svg = label.issued_label(label_declaration(issued.document["declaration"]), issued_context(issued.document, issued.qr),
                             font=font)["svg"]
    return ({"label": output.render_template(output.environment(), "label.html.j2", svg=label.Markup(svg.decode()),
                                             mm=LABEL_MM, font=font, title="t"),
             "statement": statement_html(issued.document, svg, font)}, (svg.decode(),))


def test_a_kept_style_makes_the_same_pdf_byte_for_byte(tmp_path):
    """html_to_pdf(kept_style=True) parses the label's and the statement's <style> once per process and
    hands it to WeasyPrint as a stylesheet: the same PDF, byte for byte, as with the style in the page."""
    base = output.default_templates_dir()
    pages, svgs = issued_pages(tmp_path)
    for name, html in pages.items():
        assert output._kept_style(html, str(base))[1], name  # the style is kept for these pages
        for _ in range(2):  # the second time from the kept stylesheet
            assert (output.html_to_pdf(html, base, kept_style=True, svgs=svgs)
                    == output.html_to_pdf(html, base, svgs=svgs)), name
    assert output._stylesheet.cache_info().currsize >= 2


def test_kept_lines_make_the_same_pdf_byte_for_byte(tmp_path, monkeypatch):
    """An SVG text's one-line layout kept from an earlier drawing (the label's texts in its PDF, then in
    its statement) draws the same bytes as one laid out afresh."""
    base = output.default_templates_dir()
    pages, svgs = issued_pages(tmp_path)
    output.html_to_pdf(pages["label"], base, svgs=svgs)  # patches on
    fresh = {}
    with monkeypatch.context() as patch:
        patch.setattr(weasyfast, "MAX_KEPT_LINES", 0)  # every line laid out again
        patch.setattr(weasyfast, "_LINES", weasyfast.threading.local())
        for name, html in pages.items():
            fresh[name] = output.html_to_pdf(html, base, svgs=svgs)
        assert not weasyfast._LINES.lines
    monkeypatch.setattr(weasyfast, "_LINES", weasyfast.threading.local())
    assert output.html_to_pdf(pages["label"], base, svgs=svgs) == fresh["label"]  # lines laid out and kept
    kept = dict(weasyfast._LINES.lines)
    assert len(kept) > 30
    assert output.html_to_pdf(pages["statement"], base, svgs=svgs) == fresh["statement"]  # the label's lines drawn again
    assert output.html_to_pdf(pages["label"], base, svgs=svgs) == fresh["label"]
    assert all(weasyfast._LINES.lines[key][2] is line[2] for key, line in kept.items())  # drawn from the kept ones


def test_a_label_svg_shared_by_its_pdf_and_statement_makes_the_same_pdfs(tmp_path):
    """html_to_pdf(images=) hands WeasyPrint one image cache for an issued label's PDF and its statement,
    which show the same label SVG: it is read once, and both PDFs are the same, byte for byte."""
    base = output.default_templates_dir()
    pages, svgs = issued_pages(tmp_path)
    alone = {name: output.html_to_pdf(html, base, kept_style=True, svgs=svgs) for name, html in pages.items()}
    images: dict = {}
    shared = {name: output.html_to_pdf(html, base, kept_style=True, images=images, svgs=svgs)
              for name, html in pages.items()}
    assert shared == alone
    assert list(images) == [output.svg_url(svgs[0])]  # one image, read for the label's PDF


def test_a_label_svg_shown_by_its_url_makes_the_same_pdfs_as_a_data_url(tmp_path):
    """The label's page and its statement name the label SVG by ``svg_url`` and html_to_pdf(svgs=) hands
    it to WeasyPrint: the pages hold no copy of it, and the PDFs are those of the SVG in a data URL."""
    base = output.default_templates_dir()
    pages, svgs = issued_pages(tmp_path)
    url = output.svg_url(svgs[0])
    assert url.startswith("pcf-svg:") and url.endswith(".svg") and url != output.svg_url(svgs[0] + " ")
    for name, html in pages.items():
        assert html.count(url) == 1 and "base64" not in html and "<svg" not in html, name
        assert len(html) < len(svgs[0]), name  # the label page was 40 times larger with the data URL
        inline = html.replace(url, output.svg_data_uri(svgs[0]))
        assert output.html_to_pdf(html, base, svgs=svgs) == output.html_to_pdf(inline, base), name


def test_a_page_naming_an_svg_it_was_not_given_fails(tmp_path):
    """An <img> of an svg_url whose SVG is not in html_to_pdf(svgs=) is an error, not a missing image."""
    pages, svgs = issued_pages(tmp_path)
    with pytest.raises(RenderError, match="svgs="):
        output.html_to_pdf(pages["label"], output.default_templates_dir())
    with pytest.raises(RenderError, match="svgs="):
        output.html_to_pdf(pages["statement"], output.default_templates_dir(), svgs=[svgs[0] + "<!-- other -->"])


def test_a_style_is_kept_only_where_the_cascade_stays_the_same():
    page = "<html><head><style>p { color: red; }</style></head><body><p>x</p></body></html>"
    assert output._kept_style(page, ".")[0] == "<html><head></head><body><p>x</p></body></html>"
    for other in (page.replace("</head>", "<style>b { color: blue; }</style></head>"),  # two
                  page.replace("red;", "red !important;"),  # beats style attributes as the author's
                  page.replace("</head>", '<link rel="stylesheet" href="x.css"></head>'),
                  page.replace("<style>", '<style media="print">'),
                  "<html><body><p>no style</p></body></html>"):
        assert output._kept_style(other, ".") == (other, [])


IMPORT = """
import ctypes.util
import sys
import time

search = ctypes.util.find_library
asked = []
ctypes.util.find_library = lambda name: asked.append(name) or search(name)  # counts what reaches ctypes
{prepare}
from pcf.render import output
start = time.process_time()
weasyprint = output.import_weasyprint()
from weasyprint.text import ffi
assert output.import_weasyprint() is weasyprint and "weasyprint.text.ffi" in sys.modules
loaded = sorted(n for n in ("gobject", "pango", "harfbuzz", "harfbuzz_subset", "fontconfig", "pangoft2")
                if getattr(ffi, n) is not None)
print(len(asked), ",".join(loaded), ctypes.util.find_library.__name__)
"""

#: A first import of WeasyPrint that fails as it does when a library is not found under any name it tries.
FAIL_ONCE = """
import importlib.abc
class Missing(importlib.abc.MetaPathFinder):
    failed = False
    def find_spec(self, name, path, target=None):
        if name == "weasyprint.text.ffi" and not Missing.failed:
            Missing.failed = True
            raise OSError("cannot load library 'libpango-1.0-0'")
sys.meta_path.insert(0, Missing())
"""


def import_run(prepare: str = "") -> list[str]:
    done = subprocess.run([sys.executable, "-c", IMPORT.replace("{prepare}", prepare)], capture_output=True,
                          text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    return done.stdout.split("\n")[-2].split()


def test_weasyprint_is_imported_without_searching_for_its_libraries():
    """On Linux ctypes' library search (ldconfig, gcc, ld processes) is not asked while WeasyPrint is
    imported, and every library WeasyPrint needs is loaded all the same (by its soname)."""
    asked, loaded, restored = import_run()
    assert loaded == "fontconfig,gobject,harfbuzz,harfbuzz_subset,pango,pangoft2"
    assert restored == "<lambda>"  # ctypes' own function is back after the import
    if sys.platform.startswith("linux"):
        assert asked == "0"
    plain = subprocess.run([sys.executable, "-c", "import sys, ctypes.util\nasked = []\nsearch = ctypes.util.find_library\n"
                            "ctypes.util.find_library = lambda n: asked.append(n) or search(n)\nimport weasyprint\n"
                            "print(len(asked))"], capture_output=True, text=True, check=True)
    assert int(plain.stdout.split()[-1]) > 5  # what WeasyPrint's own import asks


def test_weasyprint_is_imported_again_with_the_search_when_a_library_is_not_found():
    asked, loaded, restored = import_run(FAIL_ONCE)
    assert loaded == "fontconfig,gobject,harfbuzz,harfbuzz_subset,pango,pangoft2" and restored == "<lambda>"
    assert int(asked) > 5  # the second import searched as WeasyPrint does


def test_rectangles_are_the_operators_pydyf_writes_for_them():
    """weasyfast._rectangles writes a path of rectangles as the bytes of one pydyf Stream.rectangle
    per rectangle (one a line); kept per path data, None for any other path."""
    import pydyf

    from pcf.render.qr import qr_path

    data = qr_path("PCFL1|n=BEN-2026-000001-61|p=L-000|v=0.2002|u=kg CO2e/kWh|s=" + "9RmtMZoVdm4eNsFs" * 5)["d"]
    one_by_one, kept = pydyf.Stream(), pydyf.Stream()
    for x, y, width, height, _ in re.findall(r"M(\d+),(\d+)h(\d+)v(\d+)h-(\d+)z", data):
        one_by_one.rectangle(int(x), int(y), int(width), int(height))
    kept.stream.append(weasyfast._rectangles(data))
    assert kept.data == one_by_one.data and len(one_by_one.stream) > 300
    assert weasyfast._rectangles(data) is weasyfast._rectangles(data)
    for other in ("", "M0,0h4v4h-3z", "M0,0 L4,4 z", "M0.5,0h4v4h-4z"):
        assert weasyfast._rectangles(other) is None
