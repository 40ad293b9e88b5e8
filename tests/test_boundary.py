"""The system-boundary diagram (report 1.3), laid out by Graphviz ``dot``: no text leaves its box,
no label is cut, and the diagram is the same in every run.

The geometry is read back from the SVG that ``dot`` wrote: every node and cluster is a ``<g>``
with its box (a ``<polygon>``, or a ``<path>`` for the rounded boundary) and one ``<text>`` per
line (``text-anchor``, ``x``, baseline ``y``, ``font-size``). A line's width is estimated
conservatively from its characters, independently of pcf's own sizing: 0.6 em a character, 1 em
an East Asian wide or full-width one (CJK; Unicode UAX #11). Sans-serif Latin text averages about
0.5 em (Noto Sans: lower case 0.45-0.55 em), so the estimate is wider than what is drawn. The
vertical extent is 1 em above the baseline and 0.25 em below (Noto Sans CJK: ascent 0.88 em,
descent 0.12 em).

Every example model (examples/battery/*.yaml, examples/pv/*.yaml) is checked through its golden
result (tests/golden/<name>.result.json.gz: tests/test_golden.py holds them equal to what
`pcf footprint` writes today).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = sorted((ROOT / "examples").glob("battery/*.yaml")) + sorted((ROOT / "examples").glob("pv/*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"

SCRIPT = """
import gzip, json, sys
from pcf.declaration import Declaration
from pcf.render.boundary import boundary_context
d = Declaration.from_json(json.loads(gzip.decompress(open(sys.argv[1], "rb").read())))
print(json.dumps(boundary_context(d.result), sort_keys=True))
"""


def _result(path: Path):
    from pcf.declaration import Declaration

    return Declaration.from_json(json.loads(gzip.decompress(path.read_bytes()))).result


def line_width(text: str, size: float) -> float:
    """Conservative width of one line [pt]: 0.6 em a character, 1 em a wide / full-width one."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6 for ch in text) * size


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]


def box_of(group: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a node's or cluster's shape."""
    shape = group.find(f"{SVG}polygon")
    values = _numbers(shape.get("points")) if shape is not None else _numbers(group.find(f"{SVG}path").get("d"))
    xs, ys = values[0::2], values[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def text_boxes(group: ET.Element) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each text line of a group with its conservative extent (left, top, right, bottom)."""
    found = []
    for t in group.findall(f"{SVG}text"):
        text, size = t.text or "", float(t.get("font-size"))
        x, y, w = float(t.get("x")), float(t.get("y")), line_width(t.text or "", size)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[t.get("text-anchor", "start")]
        found.append((text, (left, y - size, left + w, y + 0.25 * size)))
    return found


def groups(svg: str) -> list[tuple[str, str, ET.Element]]:
    """(class, title, element) of every node and cluster of the SVG."""
    root = ET.fromstring(svg)
    return [(g.get("class"), g.find(f"{SVG}title").text, g) for g in root.iter(f"{SVG}g")
            if g.get("class") in ("node", "cluster")]


def _golden(model: Path) -> Path:
    return GOLDEN / f"{model.stem}.result.json.gz"


def test_every_example_has_a_golden_result():
    assert len(EXAMPLES) == 5
    for model in EXAMPLES:
        assert _golden(model).exists(), model


@pytest.mark.parametrize("model", EXAMPLES, ids=lambda p: p.stem)
def test_no_text_leaves_its_box(model):
    from pcf.render.boundary import boundary_context

    result = _result(_golden(model))
    context = boundary_context(result)
    found = groups(context["svg"])
    nodes = [g for g in found if g[0] == "node" and g[2].find(f"{SVG}text") is not None]
    assert len(nodes) >= len(result.product_system.processes) + 10  # processes, 10 named background inputs, rest
    assert sum(1 for g in found if g[0] == "cluster") >= 3         # the boundary and at least two stages
    for kind, title, group in found:
        left, top, right, bottom = box_of(group)
        for text, (l, t, r, b) in text_boxes(group):
            assert left <= l and r <= right and top <= t and b <= bottom, (
                f"{model.name}: {kind} {title}: {text!r} at {l:.1f}..{r:.1f}, {t:.1f}..{b:.1f} leaves its box "
                f"{left:.1f}..{right:.1f}, {top:.1f}..{bottom:.1f}")
    texts = [t.text or "" for *_, g in found for t in g.findall(f"{SVG}text")]
    assert not any("…" in t for t in texts)


@pytest.mark.parametrize("model", EXAMPLES, ids=lambda p: p.stem)
def test_no_label_is_cut(model):
    """Every process name is in its box whole (its lines joined), as are the names of the ten
    largest background inputs."""
    from pcf.render.boundary import TOP_BACKGROUND, boundary_context, boundary_graph

    result = _result(_golden(model))
    joined = ["".join((t.text or "").replace(" ", "") for t in g.findall(f"{SVG}text"))
              for kind, _, g in groups(boundary_context(result)["svg"]) if kind == "node"]
    for p in result.product_system.processes:
        assert any((p.name or p.id).replace(" ", "") in j for j in joined), p.name
    drawn = [d["label"] for _, d in boundary_graph(result).nodes(data=True) if d["kind"] == "background"]
    assert len(drawn) == TOP_BACKGROUND
    for name in drawn:
        assert any(name.replace(" ", "") in j for j in joined), name


def test_wrap_breaks_at_spaces_underscores_and_hyphens_and_keeps_every_character():
    from pcf.render.boundary import wrap

    assert wrap("electricity_cn_national_avg_2023", 14) == ["electricity_cn", "_national_avg_", "2023"] or \
        wrap("electricity_cn_national_avg_2023", 14) == ["electricity_", "cn_national_", "avg_2023"]
    assert wrap("sodium hydroxide (50 % solution)", 16) == ["sodium hydroxide", "(50 % solution)"]
    assert wrap("aaaaaaaaaaaaaaaaaaaaaaaaa", 10) == ["aaaaaaaaaa", "aaaaaaaaaa", "aaaaa"]  # split, not cut
    assert wrap("电池包生产过程", 6) == ["电池包", "生产过", "程"]  # CJK counts two widths


def _diagram(seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(GOLDEN / "nmc811-pack.result.json.gz")], cwd=ROOT,
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_diagram_does_not_depend_on_the_hash_seed():
    first = _diagram("1")
    assert first["counts"]["processes"] == 19 and first["svg"].startswith("<svg")
    for seed in ("2", "3"):
        assert _diagram(seed) == first, f"PYTHONHASHSEED={seed} gives another diagram"


MISSING_DOT = """
import gzip, json, sys
from pcf.core.errors import PCFError
from pcf.declaration import Declaration
from pcf.render.boundary import boundary_context
d = Declaration.from_json(json.loads(gzip.decompress(open(sys.argv[1], "rb").read())))
try:
    boundary_context(d.result)
except PCFError as e:
    print("PCFError:", e)
"""


def test_without_graphviz_the_report_names_what_to_install(tmp_path):
    """No `dot` on PATH: a pcf error saying to install Graphviz, not a traceback."""
    out = subprocess.run([sys.executable, "-c", MISSING_DOT, str(GOLDEN / "mono-si-module-cn.result.json.gz")],
                         cwd=ROOT, env={**os.environ, "PATH": str(tmp_path)}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("PCFError: ") and "apt-get install graphviz" in out.stdout


def test_keys_wrap_at_underscores_in_the_report_tables(tmp_path):
    """The electricity table's keys (``breakable``): in a narrow cell of the report's style the
    key breaks after underscores, never mid-word (it broke as electricity_cn_ / national_avg_20 / 23)."""
    import weasyprint

    from pcf.render.output import ZWSP, breakable, environment

    key = "electricity_cn_national_avg_2023"
    assert breakable(key) == key.replace("_", "_" + ZWSP) and breakable(None) == ""
    html = environment().from_string(
        '<table style="table-layout: fixed; width: 300pt"><tr><td style="width: 75pt; font-size: 9pt; '
        'overflow-wrap: anywhere"><code>{{ key | breakable }}</code></td><td>x</td></tr></table>').render(key=key)
    pdf = tmp_path / "t.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line for line in text.split() if line != "x"]
    assert "".join(lines) == key and len(lines) > 1
    assert all(line.endswith("_") for line in lines[:-1]), lines
