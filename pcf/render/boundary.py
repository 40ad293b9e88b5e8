"""System-boundary diagram of the CFP study report (section 1.3), laid out by Graphviz ``dot``.

The product graph (:func:`boundary_graph`, a ``networkx`` directed graph) holds the foreground
processes (``result.product_system``), the background activities they draw
(``result.contributions``) and the inputs excluded from the system (``result.cut_off``).
:func:`boundary_svg` writes it as a Graphviz graph and lets ``dot`` (Debian's ``graphviz``,
through the ``graphviz`` Python binding) lay it out, left to right:

- one cluster per life-cycle stage, in life-cycle order, inside the system-boundary cluster;
- the ``TOP_BACKGROUND`` background activities with the largest |kg CO2e| one by one, each in
  the stage cluster of the process that draws most of it, with its kg CO2e and share of the
  total; the other background activities of a stage are one node, "n other inputs, x % of
  the total";
- the excluded inputs are listed beside the diagram, outside the boundary
  (:func:`excluded_rows`, one row per input name with the processes it was excluded from).

No label is cut: each is wrapped (:func:`wrap`) to ``WRAP`` Latin-character widths, and each
box is made at least as large as the conservative extent :func:`text_width` gives its lines
(0.6 em a Latin character, 1 em a wide CJK one; Graphviz measures the same font with Pango and
can only make the box larger). tests/test_boundary.py checks, from the SVG geometry, that no
text leaves its box for every example.

References
----------
ISO 14067:2018 6.3.4 (system boundary) and 7.3 (the report describes it).
Graphviz ``dot`` layout: Gansner, Koutsofios, North, Vo, "A technique for drawing directed
graphs", IEEE TSE 19(3), 1993.
"""

from __future__ import annotations

import re
import unicodedata

import networkx as nx

from pcf.core.errors import PCFError
from pcf.core.vocabulary import CRADLE_TO_GATE, STAGE_SHORT, STAGES
from pcf.lca.result import FootprintResult
from pcf.render import fmt

#: Background activities drawn one by one (largest |kg CO2e| first); the rest are one node per stage.
TOP_BACKGROUND = 10
#: Font of the diagram (the report's CJK font; Graphviz measures it with Pango, WeasyPrint draws it).
FONT = "Noto Sans CJK SC"
FONT_SIZE = 7.0  # [pt]
CLUSTER_FONT_SIZE = 8.5  # [pt]
#: Line width of a node label [Latin characters; a CJK character counts 2].
WRAP = 20
LINE_HEIGHT = 1.2  # [em], Graphviz's own line spacing
PAD_X, PAD_Y = 4.0, 3.0  # [pt] between a box and its text, each side
#: The largest diagram on a report page [pt]: A4 less margins (176 mm), and room for heading and caption.
MAX_WIDTH, MAX_HEIGHT = 495.0, 640.0
COLOURS = {"process": ("#eef4f0", "#17533a"), "background": ("#eef2f7", "#1f5f8b"),
           "other_background": ("#f6f8fb", "#1f5f8b")}


def char_em(ch: str) -> float:
    """Conservative advance of one character [em]: 1 for East Asian wide / full-width, else 0.6."""
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def text_width(text: str, size: float) -> float:
    """Conservative width of one line of text [pt] at font size ``size`` [pt]."""
    return sum(char_em(ch) for ch in text) * size


_BREAK_AFTER = re.compile(r"(?<=[ _/\-,;])(?![%)])|(?<! )(?=[(])")


def wrap(text: str, width: float | None = None) -> list[str]:
    """Break ``text`` into lines of at most ``width`` Latin-character widths (CJK counts 2).

    ``width`` defaults to ``WRAP``. Breaks after a space, ``_``, ``/``, ``-``, ``,`` or ``;`` and before ``(``; a piece longer
    than a line is split between characters. Nothing is dropped: ``"".join`` of the lines with
    the removed spaces gives the text back.
    """
    def w(s: str) -> float:
        return sum(char_em(ch) / 0.6 for ch in s)

    width = WRAP if width is None else width
    pieces = [p for p in _BREAK_AFTER.split(text.strip()) if p]
    lines: list[str] = []
    line = ""
    for piece in pieces:
        if line and w((line + piece).rstrip()) > width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
        while w(line.rstrip()) > width:  # one piece longer than a line
            cut = len(line)
            while cut > 1 and w(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def boundary_graph(result: FootprintResult) -> nx.DiGraph:
    """The product system as a directed graph (edges from supplier to consumer).

    Nodes have ``kind`` (process | background | other_background), ``stage``, ``label`` and,
    background only, ``kg`` [kg CO2e per reference flow]; processes have ``reference`` (True
    for the process of the reference flow); other_background has ``n`` (activities).
    Background nodes are in the stage of the process that draws most of their kg CO2e.
    """
    system = result.product_system
    processes = [(p.id, p.name or p.id, p.stage) for p in (system.processes if system is not None else ())]
    if not processes:  # a result of an older pcf: the processes that appear in the contributions
        seen: dict[str, str] = {}
        for c in result.contributions:
            if c.process and c.stage:
                seen.setdefault(c.process, c.stage)
        processes = [(p, p, s) for p, s in seen.items()]
    reference = system.reference if system is not None else None
    g = nx.DiGraph()
    for pid, name, stage in processes:
        g.add_node(f"p:{pid}", kind="process", stage=stage, label=name, reference=pid == reference)
    for link in system.links if system is not None else ():
        if g.has_node(f"p:{link.from_}") and g.has_node(f"p:{link.to}"):
            g.add_edge(f"p:{link.from_}", f"p:{link.to}", kind="foreground")
    drawn: dict[str, float] = {}
    users: dict[str, dict[str, float]] = {}
    names: dict[str, str] = {}
    for c in result.contributions:
        if c.kind != "background" or not c.background or not g.has_node(f"p:{c.process}"):
            continue
        drawn[c.background] = drawn.get(c.background, 0.0) + float(c.kg_co2e)
        use = users.setdefault(c.background, {})
        use[c.process] = use.get(c.process, 0.0) + float(c.kg_co2e)
        names[c.background] = c.name or c.background
    ranked = sorted(drawn, key=lambda k: (-abs(drawn[k]), k))
    others: dict[str, list[str]] = {}
    for i, key in enumerate(ranked):
        main = max(users[key], key=lambda p: (abs(users[key][p]), p))
        stage = g.nodes[f"p:{main}"]["stage"]
        if i >= TOP_BACKGROUND:
            others.setdefault(stage, []).append(key)
            continue
        g.add_node(f"b:{key}", kind="background", stage=stage, label=names[key], kg=drawn[key],
                   users=len(users[key]), beside=f"p:{main}")
        g.add_edge(f"b:{key}", f"p:{main}", kind="background", kg=drawn[key])
    for stage, keys in others.items():
        into: dict[str, float] = {}
        for key in keys:
            for pid, kg in users[key].items():
                if g.nodes[f"p:{pid}"]["stage"] == stage:
                    into[pid] = into.get(pid, 0.0) + abs(kg)
        main = max(into, key=lambda p: (into[p], p))
        g.add_node(f"o:{stage}", kind="other_background", stage=stage, kg=sum(drawn[k] for k in keys), n=len(keys),
                   label="", beside=f"p:{main}")
    return g


def _node_lines(data: dict, total: float) -> list[str]:
    """The label lines of a node: its name wrapped, then kg CO2e and share (background)."""
    kind = data["kind"]
    if kind == "other_background":
        share = fmt.pct(fmt.share(data["kg"], total)) if total else fmt.DASH
        return wrap(f"{data['n']} other input{'s' if data['n'] > 1 else ''}, {share} of the total")
    lines = wrap(data["label"])
    if kind == "background":
        share = fmt.pct(fmt.share(data["kg"], total)) if total else fmt.DASH
        lines.append(f"{fmt.sig(data['kg'])} kg CO2e · {share}")
        if data["users"] > 1:
            lines.append(f"(into {data['users']} processes)")
    return lines


def _dot_text(lines: list[str]) -> str:
    """Graphviz escString of centred lines (backslashes doubled, each line ended by ``\\n``)."""
    return "".join(line.replace("\\", "\\\\") + "\\n" for line in lines)[:-2]


def _box(lines: list[str], size: float) -> tuple[str, str]:
    """Minimum ``width`` and ``height`` [inches] of a box holding ``lines`` at ``size`` pt."""
    w = max(text_width(line, size) for line in lines) + 2 * PAD_X
    h = len(lines) * size * LINE_HEIGHT + 2 * PAD_Y
    return f"{w / 72:.3f}", f"{h / 72:.3f}"


def _columns(g: nx.DiGraph, stages: list[str]) -> list[list[str]]:
    """The diagram's columns, left to right: per cradle-to-gate stage (raw material acquisition,
    production) its background inputs (if any), then its processes; the later stages
    (distribution, use, end of life: few processes each) share one column, their clusters one
    above the other, background beside its process. Every node of a column gets the same
    ``dot`` rank."""
    columns = []
    for stage in (s for s in stages if s in CRADLE_TO_GATE):
        for kinds in (("background", "other_background"), ("process",)):
            column = [n for n, d in g.nodes(data=True) if d.get("stage") == stage and d["kind"] in kinds]
            if column:
                columns.append(column)
    later = [n for n, d in g.nodes(data=True) if d.get("stage") not in CRADLE_TO_GATE]
    if later:
        columns.append(later)
    return columns


def _stage_cluster(box, g: nx.DiGraph, stage: str, name: dict, total: float) -> None:
    """The nodes of one stage into its cluster ``box``."""
    import graphviz

    stage_zh, stage_en = fmt.stage_name(stage)
    box.attr(label=graphviz.nohtml(_dot_text([stage_zh, STAGE_SHORT.get(stage, stage_en)])), labelloc="t",
             style="filled", fillcolor="#fafafa", color="#cccccc", fontcolor="#1a1a1a", penwidth="0.6", margin="6")
    for node, data in g.nodes(data=True):
        if data.get("stage") != stage:
            continue
        lines = _node_lines(data, total)
        width, height = _box(lines, FONT_SIZE)
        fill, line = COLOURS[data["kind"]]
        extra = {"penwidth": "2"} if data.get("reference") else {}
        if data["kind"] == "other_background":
            extra["style"] = "filled,dashed"
        box.node(name[node], graphviz.nohtml(_dot_text(lines)), width=width, height=height, fillcolor=fill,
                 color=line, **extra)


def boundary_dot(result: FootprintResult):
    """The diagram as a :class:`graphviz.Digraph` (not yet laid out), or None without processes.

    Columns (:func:`_columns`) are fixed by an invisible ruler (one point per column, each
    column's nodes ``rank=same`` with its point); the flows themselves do not set ranks
    (``constraint=false``), so a supply chain inside a stage runs down its column instead of
    adding columns, and a distribution or end-of-life process that feeds the reference process
    stays right of production, in life-cycle order.
    """
    import graphviz

    g = boundary_graph(result)
    if not any(d["kind"] == "process" for _, d in g.nodes(data=True)):
        return None
    total = float(result.total_kg_co2e)
    dot = graphviz.Digraph("boundary", engine="dot")
    dot.attr("graph", rankdir="LR", newrank="true", nodesep="0.06", ranksep="0.22", fontname=FONT,
             fontsize=f"{CLUSTER_FONT_SIZE}", margin="0", pad="0.05", outputorder="edgesfirst")
    dot.attr("node", shape="box", style="filled", fontname=FONT, fontsize=f"{FONT_SIZE}", margin="0.05,0.03",
             penwidth="0.8")
    dot.attr("edge", arrowsize="0.5", color="#17533a")
    boundary = result.study.boundary or ""
    zh = fmt.BOUNDARY_NAMES.get(boundary, ("", ""))[0]
    title = ["系统边界 System boundary"] + ([f"{zh} {boundary}".strip()] if boundary else [])
    stages = [s for s in STAGES if any(d.get("stage") == s for _, d in g.nodes(data=True))]
    name = {n: f"n{i}" for i, n in enumerate(g.nodes)}  # Graphviz reads "a:b" in an edge as node a, port b
    with dot.subgraph(name="cluster_boundary") as outer:
        outer.attr(label=graphviz.nohtml(_dot_text(title)), labelloc="b", style="dashed,rounded",
                   color="#17533a", fontcolor="#17533a", penwidth="1.2", margin="8")
        for index, stage in enumerate(stages):
            with outer.subgraph(name=f"cluster_{index}") as box:
                _stage_cluster(box, g, stage, name, total)
    columns = _columns(g, stages)
    for i, column in enumerate(columns):
        dot.node(f"r{i}", "", shape="point", style="invis", width="0", height="0")
        if i:
            dot.edge(f"r{i - 1}", f"r{i}", style="invis", weight="100")
        with dot.subgraph() as same:
            same.attr(rank="same")
            for n in [f"r{i}"] + [name[n] for n in column]:
                same.node(n)
    biggest = max((abs(e.get("kg", 0.0)) for *_, e in g.edges(data=True)), default=0.0) or 1.0
    for a, b, e in g.edges(data=True):
        if e["kind"] == "background":
            width = 0.5 + 2.5 * abs(e["kg"]) / biggest
            dot.edge(name[a], name[b], color="#1f5f8b80", penwidth=f"{width:.2f}", constraint="false")
        else:
            dot.edge(name[a], name[b], penwidth="1", constraint="false")
    return dot


def boundary_svg(result: FootprintResult) -> str | None:
    """The diagram laid out by ``dot``, as an SVG element (no XML prolog), or None.

    Drawn at its own size [pt] (text at ``FONT_SIZE``), scaled down to fit ``MAX_WIDTH`` x
    ``MAX_HEIGHT`` when larger.

    Raises
    ------
    PCFError
        Graphviz's ``dot`` program is not installed.
    """
    import graphviz

    dot = boundary_dot(result)
    if dot is None:
        return None
    try:
        svg = dot.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as exc:
        raise PCFError("the report's system-boundary diagram needs Graphviz's `dot` program, which is not "
                       "installed: apt-get install graphviz (Debian; `make test` and `make demo` install it)"
                       ) from exc
    svg = re.sub(r"<!--.*?-->\n?", "", svg[svg.index("<svg"):], flags=re.S).strip()
    size = re.match(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"', svg)
    if size is None:  # pragma: no cover - dot always writes its size in pt
        return svg
    width, height = float(size.group(1)), float(size.group(2))
    scale = min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
    return (f'<svg style="width: {width * scale:.1f}pt; height: {height * scale:.1f}pt" '
            f'width="{width * scale:.1f}pt" height="{height * scale:.1f}pt"' + svg[size.end():])


def excluded_rows(result: FootprintResult) -> list[dict]:
    """The excluded inputs, one row per name: ``name`` and ``processes`` (names, comma-separated)."""
    system = result.product_system
    names = {p.id: p.name or p.id for p in (system.processes if system is not None else ())}
    rows: dict[str, list[str]] = {}
    for e in result.cut_off:
        where = rows.setdefault(e.name or fmt.DASH, [])
        process = names.get(e.process, e.process)
        if process not in where:
            where.append(process)
    return [{"name": name, "processes": ", ".join(where)} for name, where in sorted(rows.items(),
                                                                                     key=lambda r: r[0].lower())]


def boundary_context(result: FootprintResult) -> dict | None:
    """The system-boundary diagram of report section 1.3.

    Parameters
    ----------
    result : FootprintResult
        Its ``product_system``, ``contributions``, ``cut_off``, ``study.boundary`` and total.

    Returns
    -------
    dict or None
        ``svg`` (the SVG element laid out by ``dot``; its size [pt]), ``excluded`` (rows of
        :func:`excluded_rows`), ``boundary_zh`` / ``boundary_en``, ``counts`` (processes,
        background, drawn (background activities drawn one by one), excluded, links); None
        when the result has no process.

    Raises
    ------
    PCFError
        Graphviz's ``dot`` is not installed.
    """
    svg = boundary_svg(result)
    if svg is None:
        return None
    g = boundary_graph(result)
    boundary = result.study.boundary or ""
    kinds = [d["kind"] for _, d in g.nodes(data=True)]
    return {
        "svg": svg, "excluded": excluded_rows(result),
        "boundary_zh": fmt.BOUNDARY_NAMES.get(boundary, ("", ""))[0], "boundary_en": boundary,
        "counts": {"processes": kinds.count("process"),
                   "background": kinds.count("background") + sum(d.get("n", 0) for _, d in g.nodes(data=True)),
                   "drawn": kinds.count("background"),
                   "excluded": len(result.cut_off), "links": g.number_of_edges()},
    }
