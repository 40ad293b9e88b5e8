"""System-boundary diagram of the CFP study report, drawn from the product graph.

A ``networkx`` directed graph holds the foreground processes (``result.product_system``),
the background activities they draw (``result.contributions``) and the inputs excluded from
the system (``result.cut_off``). :func:`networkx.multipartite_layout` places them in columns:
background activities at the left edge, then one column per life-cycle stage in life-cycle
order, and the excluded inputs outside the boundary at the right; within a column nodes are
ordered by the mean position of their neighbours (one barycentre sweep). The geometry is
returned for ``report_boundary.html.j2`` to draw as inline SVG.

References
----------
ISO 14067:2018 6.3.4 (system boundary) and 7.3 (the report describes it).
"""

from __future__ import annotations

import networkx as nx

from pcf.core import vocabulary
from pcf.core.vocabulary import STAGES
from pcf.lca.result import FootprintResult
from pcf.render import fmt

#: Background activities drawn one by one (largest |kg CO2e| first); the rest are one node.
TOP_BACKGROUND = 10
WIDTH = 680.0
ROW = 30.0
NODE_H = 24.0
TOP = 46.0


def _label(text: str, width: float) -> list[str]:
    return fmt.ellipsize(fmt.wrap(text, width), 2)


def boundary_graph(result: FootprintResult) -> nx.DiGraph:
    """The product system as a directed graph (edges from supplier to consumer).

    Nodes have ``kind`` (process | background | other_background | excluded), ``layer``
    (column), ``label`` and ``kg`` [kg CO2e per reference flow, background only]; processes
    have ``stage`` and ``reference`` (True for the process of the reference flow).
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
    stages = [s for s in STAGES if any(stage == s for _, _, stage in processes)]
    layer = {s: i + 1 for i, s in enumerate(stages)}
    g = nx.DiGraph()
    for pid, name, stage in processes:
        g.add_node(f"p:{pid}", kind="process", layer=layer.get(stage, 1), stage=stage,
                   label=name, pid=pid, reference=pid == reference)
    for link in system.links if system is not None else ():
        if g.has_node(f"p:{link.from_}") and g.has_node(f"p:{link.to}"):
            g.add_edge(f"p:{link.from_}", f"p:{link.to}", kind="foreground")
    drawn: dict[str, float] = {}
    users: dict[str, dict[str, float]] = {}
    names: dict[str, str] = {}
    for c in result.contributions:
        if c.kind != "background" or not c.background or not g.has_node(f"p:{c.process}"):
            continue
        key = c.background
        drawn[key] = drawn.get(key, 0.0) + float(c.kg_co2e)
        users.setdefault(key, {})
        users[key][c.process] = users[key].get(c.process, 0.0) + float(c.kg_co2e)
        names[key] = c.name or key
    ranked = sorted(drawn, key=lambda k: -abs(drawn[k]))
    for key in ranked[:TOP_BACKGROUND]:
        g.add_node(f"b:{key}", kind="background", layer=0, label=names[key], kg=drawn[key])
        for pid, kg in users[key].items():
            g.add_edge(f"b:{key}", f"p:{pid}", kind="background", kg=kg)
    rest = ranked[TOP_BACKGROUND:]
    if rest:
        kg = sum(drawn[k] for k in rest)
        g.add_node("b:*", kind="other_background", layer=0, label=f"{len(rest)} other background activities", kg=kg,
                   n=len(rest))
        for key in rest:
            for pid, value in users[key].items():
                old = g.edges[f"b:*", f"p:{pid}"]["kg"] if g.has_edge("b:*", f"p:{pid}") else 0.0
                g.add_edge("b:*", f"p:{pid}", kind="background", kg=old + value)
    excluded: dict[str, list[str]] = {}
    for e in result.cut_off:
        if g.has_node(f"p:{e.process}"):
            excluded.setdefault(e.process, []).append(e.name or "")
    for pid, items in excluded.items():
        g.add_node(f"x:{pid}", kind="excluded", layer=len(stages) + 1, label=f"{len(items)} excluded: " + ", ".join(items),
                   n=len(items))
        g.add_edge(f"x:{pid}", f"p:{pid}", kind="excluded")
    return g


def _order(g: nx.DiGraph) -> nx.DiGraph:
    """A copy of ``g`` with nodes inserted column by column in barycentre order (the order
    multipartite_layout stacks them in)."""
    layers: dict[int, list[str]] = {}
    for n, d in g.nodes(data=True):
        layers.setdefault(d["layer"], []).append(n)
    def centred(nodes: list[str]) -> dict[str, float]:  # the rows multipartite_layout gives them
        return {n: i - (len(nodes) - 1) / 2 for i, n in enumerate(nodes)}

    position = {n: y for nodes in layers.values() for n, y in centred(nodes).items()}
    for _ in range(3):  # sweeps: each column by the mean row of its neighbours in other columns
        for layer in sorted(layers):
            def key(n):
                neighbours = [position[m] for m in nx.all_neighbors(g, n) if g.nodes[m]["layer"] != layer]
                return (sum(neighbours) / len(neighbours)) if neighbours else position[n]
            layers[layer].sort(key=key)
            position.update(centred(layers[layer]))
    ordered = nx.DiGraph()
    for layer in sorted(layers):
        for n in layers[layer]:
            ordered.add_node(n, **g.nodes[n])
    ordered.add_edges_from(g.edges(data=True))
    return ordered


def boundary_context(result: FootprintResult) -> dict | None:
    """Geometry of the system-boundary diagram [SVG units, 680 wide].

    Parameters
    ----------
    result : FootprintResult
        Its ``product_system``, ``contributions`` and ``cut_off``.

    Returns
    -------
    dict or None
        ``width``, ``height``, ``columns`` (``x``, ``title_zh``, ``title_en``), ``nodes``
        (``x``, ``y``, ``w``, ``h``, ``lines``, ``kind``, ``reference``), ``edges``
        (``d`` path, ``kind``, ``width``), ``box`` (the system boundary), ``boundary`` text,
        ``counts``; None when the result has no process.
    """
    g = _order(boundary_graph(result))
    if g.number_of_nodes() == 0:
        return None
    # the columns as ordered lists: given the attribute name, networkx groups the nodes into
    # sets, whose order changes with Python's hash seed (a report that differs run to run)
    subsets: dict[int, list[str]] = {}
    for n, d in g.nodes(data=True):
        subsets.setdefault(d["layer"], []).append(n)
    pos = nx.multipartite_layout(g, subset_key=subsets, align="vertical")
    n_layers = max(d["layer"] for _, d in g.nodes(data=True)) + 1
    gap = 10.0
    node_w = (WIDTH - (n_layers - 1) * gap) / n_layers
    col_x = [i * (node_w + gap) for i in range(n_layers)]
    # multipartite_layout puts columns one unit apart and a column's nodes one unit apart,
    # centred, then rescales everything by one factor: the column step gives the unit back
    sizes: dict[int, int] = {}
    for _, d in g.nodes(data=True):
        sizes[d["layer"]] = sizes.get(d["layer"], 0) + 1
    tallest = max(sizes.values())
    xs = sorted({round(p[0], 9) for p in pos.values()})
    ys = [p[1] for p in pos.values()]
    step = (xs[1] - xs[0]) if len(xs) > 1 else ((max(ys) - min(ys)) / (tallest - 1) if tallest > 1 else 1.0)
    step = step or 1.0
    mid = TOP + (tallest - 1) * ROW / 2
    chars = max(10.0, node_w / 4.6)
    nodes, where = [], {}
    for n, d in g.nodes(data=True):
        x = col_x[d["layer"]]
        y = mid + pos[n][1] / step * ROW - NODE_H / 2
        where[n] = (x, y)
        kg = d.get("kg")
        lines = _label(d["label"], chars)
        if kg is not None:  # background: one line of name, one of kg CO2e per reference flow
            lines = [_label(d["label"], chars)[0], f"{fmt.sig(kg)} kg CO2e"]
        nodes.append({"id": n, "x": x, "y": y, "w": node_w, "h": NODE_H, "kind": d["kind"],
                      "reference": bool(d.get("reference")), "lines": lines})
    biggest = max((abs(e.get("kg", 0.0)) for *_, e in g.edges(data=True)), default=0.0) or 1.0
    edges = []
    for a, b, e in g.edges(data=True):
        (xa, ya), (xb, yb) = where[a], where[b]
        ya, yb = ya + NODE_H / 2, yb + NODE_H / 2
        if xa < xb:
            x1, x2 = xa + node_w, xb
        elif xa > xb:
            x1, x2 = xa, xb + node_w
        else:  # same column: leave on the right, come back
            x1 = x2 = xa + node_w
        bend = (x2 - x1) / 2 if x1 != x2 else 18.0
        d_path = f"M{x1:.1f},{ya:.1f} C{x1 + bend:.1f},{ya:.1f} {x2 - bend:.1f},{yb:.1f} {x2:.1f},{yb:.1f}"
        width = 0.6 + 2.4 * abs(e.get("kg", 0.0)) / biggest if e["kind"] == "background" else 1.0
        edges.append({"d": d_path, "kind": e["kind"], "width": round(width, 2)})
    stage_layers = {d["layer"]: d["stage"] for _, d in g.nodes(data=True) if d["kind"] == "process"}
    columns = [{"x": col_x[0], "title_zh": "背景数据", "title_en": "Background"}]
    for layer, stage in sorted(stage_layers.items()):
        zh, en = fmt.stage_name(stage)
        columns.append({"x": col_x[layer], "title_zh": zh, "title_en": vocabulary.STAGE_SHORT.get(stage, en)})
    has_excluded = any(d["kind"] == "excluded" for _, d in g.nodes(data=True))
    if has_excluded:
        columns.append({"x": col_x[-1], "title_zh": "排除的输入", "title_en": "Excluded (cut-off)"})
    height = TOP + tallest * ROW + 6
    right = col_x[-1] - gap / 2 if has_excluded else WIDTH
    boundary = result.study.boundary or ""
    return {
        "width": WIDTH, "height": height, "node_w": node_w, "columns": columns, "nodes": nodes, "edges": edges,
        "box": {"x": -4.0, "y": 24.0, "w": right + 4.0, "h": height - 22.0},
        "boundary_zh": fmt.BOUNDARY_NAMES.get(boundary, ("", ""))[0], "boundary_en": boundary,
        "counts": {"processes": sum(d["kind"] == "process" for _, d in g.nodes(data=True)),
                   "background": sum(d.get("n", 1) for _, d in g.nodes(data=True) if d["kind"] != "process"
                                     and d["kind"] != "excluded"),
                   "excluded": sum(d.get("n", 0) for _, d in g.nodes(data=True) if d["kind"] == "excluded"),
                   "links": g.number_of_edges()},
    }
