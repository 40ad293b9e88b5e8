"""Graded carbon label (SVG, and PDF through WeasyPrint).

The label is 90 mm x 145 mm, bilingual (Chinese + English): product, the value per
declared unit (per reference flow without one), a performance-class scale like the EU
energy label's, life-cycle stage shares, standard / PCR / method / date and, on an issued
label, a QR code of its verification URL or signed token. A draft (not issued) has no QR code
and carries a diagonal "草稿 DRAFT — not issued" watermark (:func:`pcf.render.view.draft_watermark`).

References
----------
ISO 14067:2018 / GB/T 24067-2024 (quantification); ISO 14026:2017 (communication of
footprint information);
Regulation (EU) 2023/1542, Art. 7(2) (carbon footprint performance classes).
"""

from __future__ import annotations

import math
from pathlib import Path

from markupsafe import Markup

from pcf.declaration import Declaration
from pcf.core.errors import RenderError
from pcf.render import fmt, output, view
from pcf.render.declaration import declaration_context
from pcf.render.label_compact import compact_context
from pcf.render.qr import qr_path

#: Size of the label [mm] and of its SVG user space [units]; 4 units per mm.
LABEL_MM = (90, 145)
LABEL_UNITS = (360, 580)

def _class_rows(scale: dict, top: float, height: float) -> list[dict]:
    """Geometry of the class-scale arrows [SVG units]."""
    n = len(scale["rows"])
    gap = 4.0
    row_h = min(26.0, (height + gap) / n - gap)
    widths = [110.0 + i * (120.0 / max(n - 1, 1)) for i in range(n)]
    rows = []
    for i, row in enumerate(scale["rows"]):
        y = top + i * (row_h + gap)
        w = widths[i]
        rows.append({**row, "y": y, "h": row_h, "w": w, "cy": y + row_h / 2,
                     "path": f"M14,{y:.1f} h{w:.1f} l{row_h / 2:.1f},{row_h / 2:.1f} "
                             f"l{-row_h / 2:.1f},{row_h / 2:.1f} h{-w:.1f} z",
                     "letter_x": 14 + w - 2,
                     # long class names (e.g. "ECS<450") shrink to fit the arrow and the pointer
                     "letter_size": round(min(row_h * 0.72, (w - 75) / (0.62 * max(len(str(row["cls"])), 1))), 1),
                     "pointer_size": round(min(row_h * 0.86, 62 / (0.62 * max(len(str(row["cls"])), 1))), 1),
                     "range_size": min(9.5, round(row_h * 0.45, 1))})
    size = min(r["letter_size"] for r in rows) if rows else 0  # one size for the whole scale
    for r in rows:
        r["letter_size"] = size
    return rows


def _stage_bar(stages: list[dict], x0: float, width: float) -> list[dict]:
    """Segments of the stacked stage-share bar [SVG units]; negative stages get none."""
    positive = sum(s["kg"] for s in stages if s["kg"] > 0)
    x = x0
    out = []
    for s in stages:
        w = 0.0 if positive <= 0 or s["kg"] <= 0 else width * s["kg"] / positive
        out.append({**s, "x": x, "w": w})
        x += w
    return out


#: Product name layouts, tried in turn: (font size, most lines, baselines [SVG units]); the name wraps
#: (:data:`NAME_WIDTH`, measured: :func:`pcf.render.fmt.wrap_measured`), smaller when it must, and is never cut.
NAME_LAYOUTS = ((13.5, 1, (88.0,)), (13.5, 2, (82.0, 99.0)), (11.5, 3, (77.0, 91.0, 105.0)),
                (9.5, 4, (74.0, 85.5, 97.0, 108.5)))

#: Width of a line of the product name or id [SVG units]: from x = 16 to the inner margin at 344.
NAME_WIDTH = 328.0

#: Where a longer name goes: baselines from ``NAME_BLOCK[0]`` + the ascent, the last line's
#: descent at ``NAME_BLOCK[1]`` at most (the product id's line is under it) [SVG units].
NAME_BLOCK = (62.0, 108.0)

#: The product id's line: what precedes the id, its largest font size, and the smallest before the id takes
#: two lines [SVG units].
ID_PREFIX, ID_SIZE, ID_SMALLEST = "产品编号 Product ID  ", 9.5, 6.0


def _name_block(name: str) -> dict:
    """``name_lines``, ``name_y``, ``name_size`` and ``id_y`` [SVG units] of the product name:
    the first of :data:`NAME_LAYOUTS` it fits, measured in the bold face; a longer name in as many
    lines as it needs, each smaller, filling :data:`NAME_BLOCK` (every word kept: issue 20)."""
    for size, most, ys in NAME_LAYOUTS:
        lines = fmt.wrap_measured(name, NAME_WIDTH, size, bold=True)
        if len(lines) <= most:
            return {"name_lines": lines, "name_y": list(ys[:len(lines)]), "name_size": size,
                    "id_y": 110.0 if len(lines) == 1 else 118.0}
    top, bottom = NAME_BLOCK
    most = NAME_LAYOUTS[-1][1]
    while True:  # n lines of size s: from top + 0.9 s to (n - 1) 1.15 s lower, + 0.25 s descent
        most += 1
        size = round(min(8.0, (bottom - top) / (1.15 * most)), 2)
        lines = fmt.wrap_measured(name, NAME_WIDTH, size, bold=True)
        if len(lines) <= most:
            break
    ys = [round(top + 0.9 * size + i * 1.15 * size, 2) for i in range(len(lines))]
    return {"name_lines": lines, "name_y": ys, "name_size": size, "id_y": 118.0}


def _id_block(product_id: str, name: dict) -> dict:
    """``id_lines``, ``id_ys`` and ``id_size`` [SVG units] of the product id's line (:data:`ID_PREFIX`, then the
    id in bold): one line at the largest size from :data:`ID_SIZE` down to :data:`ID_SMALLEST` that holds it
    within :data:`NAME_WIDTH`; a longer id in two lines (before a ``-``, ``_`` or ``.`` where one is in the
    second half of the first line), as large as they fit, between the name (``name``: :func:`_name_block`,
    its last line's descent) and the headline box (y 126).
    The id is never cut (a 49-character id ran off the label)."""
    prefix = fmt.text_width(ID_PREFIX, 1.0)
    size = min(ID_SIZE, math.floor(NAME_WIDTH / (prefix + fmt.text_width(product_id, 1.0, bold=True)) * 10) / 10)
    if size >= ID_SMALLEST:
        return {"id_lines": [product_id], "id_ys": [name["id_y"]], "id_size": size}
    size = ID_SMALLEST
    while True:  # the largest size (0.1 steps) at which the id's two lines fit; any id fits at last
        first = _id_cut(product_id, NAME_WIDTH - prefix * size, size)
        if fmt.text_width(product_id[first:], size, bold=True) <= NAME_WIDTH or size <= 1.0:
            break
        size = round(size - 0.1, 1)
    bottom = name["name_y"][-1] + 0.25 * name["name_size"]  # the name's last descent
    y1 = round(max(name["id_y"] - 7.0 if len(name["name_y"]) > 1 else name["id_y"], bottom + 0.9 * size), 2)
    return {"id_lines": [product_id[:first], product_id[first:]], "id_ys": [y1, round(y1 + 1.2 * size, 2)],
            "id_size": size}


def _id_cut(product_id: str, width: float, size: float) -> int:
    """How many characters of the id the first of its two lines holds (``width`` [SVG units] at ``size``)."""
    fits, used = 0, 0.0
    for ch in product_id:
        used += fmt.text_width(ch, size, bold=True)
        if used > width:
            break
        fits += 1
    fits = max(fits, 1)
    separator = max(product_id.rfind(c, 0, fits) for c in "-_.")  # the second line starts with it: a line
    return separator if separator > fits // 2 else fits  # ending in "-" reads as a hyphenated word (pdftotext)


def _marks(issued: dict | None, basis_lines: int) -> list[dict]:
    """Where an issued label prints its type and marks (reduction, low-carbon): the first in
    the headline box under the basis lines, a second one under the box; sized to fit."""
    lines = (issued or {}).get("marks") or []
    places = [(141.0 + basis_lines * 10.5 + 4.0, 316.0, 9.0), (230.0, 328.0, 8.5)]
    return [{"text": text, "y": y, "size": fmt.fit_size(text, width, size, bold=True)}
            for text, (y, width, size) in zip(lines, places)]


def _peer_line(peer, scale: dict, alternatives: list) -> dict | None:
    """Where the label prints a peer grading (:meth:`pcf.pcr.peers.PeerGrade.label_line`): the
    next line under the illustrative note and the alternative class, above the stage shares."""
    if peer is None:
        return None
    text = peer.label_line()
    y = (404.0 if scale.get("illustrative") else 400.0) if alternatives else (398.0 if scale.get("illustrative") else 390.0)
    return {"text": text, "y": y, "size": fmt.fit_size(text, 328.0, 8.0)}


def label_context(declaration: Declaration, font: str, issued: dict | None = None, peer=None) -> dict:
    """Everything ``label.svg.j2`` draws, with its geometry [SVG units, 4 per mm].

    Parameters
    ----------
    declaration : Declaration
    font : str
        CJK font family (see :func:`pcf.render.output.cjk_font`).
    issued : dict, optional
        For an issued label (:mod:`pcf.registry`): ``number`` (label number), ``valid_from``
        and ``valid_until`` (dates as printed), ``issuer`` and ``qr`` (the text of the QR
        code: the verification URL or the signed token), optionally ``marks`` (lines of the
        label type and marks, :func:`pcf.registry.labeltype.marks`) and ``self_declared`` (draws
        the label as self-declared: grey band, "自我声明 Self-declared", no verifier checked it). Without it the label is an
        unnumbered draft and its QR code holds :func:`label_verification_text`.
    peer : pcf.pcr.peers.PeerGrade, optional
        A peer grading of the declaration (``pcf grade``), printed as one line above the stage
        shares (an alternative grading, issue 21).

    Returns
    -------
    dict
    """
    result = declaration.result
    product = result.product
    head = view.headline(declaration)
    scale = view.class_scale(declaration)
    name = _name_block(product.name)
    name.update(_id_block(product.id, name))
    number_w = 0.60 * len(head["text"])
    unit_w = 0.56 * len(head["unit"]) * 14 + 8
    number_size = max(22.0, min(40.0, (310 - unit_w) / max(number_w, 0.1)))
    basis = f"{head['basis_zh']} {head['basis_en']}"
    words = view.declared_unit_words(declaration)  # what the unit means, in both languages
    if words:  # without the rule's own words, words[0] is 每声明单位 again: said once
        basis = f"{basis}: {words[1]}" if words[0] == head["basis_zh"] else f"{basis}: {words[0]} {words[1]}"
    basis_lines = fmt.ellipsize(fmt.wrap_measured(basis, 318.0, 8.5), 2)  # x 24 to the box's inner edge at 342
    per_ref = None
    if head["declared"]:
        per_ref = f"= {fmt.sig(view.declared_per_reference_flow(declaration))} {view.per_unit(product, False)}"
    stages = view.stage_rows(result)
    qr = qr_path(issued["qr"]) if issued else None  # a draft has no code to scan (issue 20 part 3)
    boundary = view.study_value(result, "boundary")
    zh_boundary = fmt.BOUNDARY_NAMES.get(boundary, ("", boundary))[0]
    return {
        "font": font,
        "mm": LABEL_MM, "units": LABEL_UNITS,
        "product_id": product.id,
        **name,
        "head": head, "basis_lines": basis_lines, "per_ref": per_ref,
        "number_size": round(number_size, 1),
        "scale": scale,
        "class_rows": _class_rows(scale, 250.0, 124.0),
        "stages": _stage_bar(stages, 14.0, 240.0)[:6],
        "qr": qr, "qr_size": 76.0, "watermark": view.draft_watermark(*LABEL_UNITS, issued),
        "standard": view.standard_text(declaration),  # the PCR's (GB/T 24067-2024 for a China label)
        "pcr": view.pcr_text(declaration),
        "method": fmt.method_line(result),  # with the share on other GWP bases (issue 14)
        "method_size": fmt.fit_size("方法 Method " + fmt.method_line(result), 328.0, 8.0),
        "boundary": f"{zh_boundary} {boundary}".strip(),
        "date": view.created_date(result),
        "sha": result.model_sha256[:12].lower(),
        "issued": None if not issued else {**{k: issued[k] for k in ("number", "valid_from", "valid_until", "issuer")},
                                           "self_declared": bool(issued.get("self_declared"))},
        "marks": _marks(issued, len(basis_lines)),
        "state": view.issue_state(declaration, issued),
        "not_graded": view.not_graded_reason(declaration),
        "no_classes": view.no_classes(declaration),
        "alternatives": [g for g in view.grades(declaration) if g["title"]],
        "peer": _peer_line(peer, scale, [g for g in view.grades(declaration) if g["title"]]),
    }


def label_svg(declaration: Declaration, templates_dir: Path | None = None, font: str | None = None) -> str:
    """The label as SVG text (no file written).

    Parameters
    ----------
    declaration : Declaration
        What the label states (:func:`pcf.declaration.read_declaration` reads a result file).
    templates_dir : Path, optional
        Folder of the templates [default: ``label_templates/``].
    font : str, optional
        CJK font family [default: found with fontconfig].

    Returns
    -------
    str
        A standalone SVG document, 90 mm x 145 mm.

    Raises
    ------
    RenderError
        A declared figure that is not finite, a missing template or no CJK font.
    """
    return prepare(declaration, templates_dir, font)[2]


def prepare(declaration: Declaration, templates_dir: Path | None = None, font: str | None = None,
            issued: dict | None = None, peer=None) -> tuple[str, object, str]:
    """Common first steps of every rendering: check the product id names files, find the CJK font, render
    the label SVG.

    ``font`` [default: found with fontconfig] skips the font look-up when given; ``issued``
    numbers the label and ``peer`` adds a peer grading (see :func:`label_context`).

    Returns
    -------
    font : str
        CJK font family.
    env : jinja2.Environment
        Template environment of ``templates_dir`` (default ``label_templates/``).
    svg : str
        The label as SVG text.

    Raises
    ------
    RenderError
        A product id or scenario name that cannot name a file, a declared figure that is not
        finite, no CJK font, or a missing template.
    """
    output.file_stem(declaration, issued=issued is not None)
    font = font or output.cjk_font()
    env = output.environment(templates_dir)
    return font, env, output.render_template(env, "label.svg.j2", L=label_context(declaration, font, issued, peer))


#: The label family: variant -> (file-name suffix, what it is).
VARIANTS: dict[str, tuple[str, str]] = {
    "graded": ("label", "graded carbon label, 90 x 145 mm"),
    "compact": ("label-compact", "compact label for small packaging, a square of 8-60 mm"),
    "declaration": ("cf-declaration", "carbon-footprint declaration, A5 (EU batteries: Reg. (EU) 2023/1542 Art. 7)"),
}


def variant_svg(declaration: Declaration, variant: str = "graded", templates_dir: Path | None = None, font: str | None = None,
                issued: dict | None = None, size_mm: float | None = None, peer=None) -> tuple[str, object, str, tuple]:
    """Render one member of the label family as SVG text.

    Every variant is the same function of the declaration, with ``issued`` (label number,
    validity, issuer, QR text) filled in by :mod:`pcf.registry` when it issues the label,
    and placeholders otherwise.

    Parameters
    ----------
    declaration : Declaration
    variant : {"graded", "compact", "declaration"}
        See :data:`VARIANTS`.
    templates_dir : Path, optional
        Folder of the templates [default: ``label_templates/``].
    font : str, optional
        CJK font family [default: found with fontconfig].
    issued : dict, optional
        ``number``, ``valid_from``, ``valid_until``, ``issuer``, ``qr`` of an issued label.
    size_mm : float, optional
        Side of the compact label [mm] (8-60; default 30); other variants have a fixed size.
    peer : pcf.pcr.peers.PeerGrade, optional
        A peer grading the graded label prints (:func:`label_context`); the other variants
        have no room for it and leave it out.

    Returns
    -------
    font : str
    env : jinja2.Environment
    svg : str
    mm : tuple of float
        Width and height of the page [mm].

    Raises
    ------
    RenderError
        Unknown variant, a size outside the compact bounds, a product id that cannot name a
        file, no CJK font or a missing template.
    """
    if variant not in VARIANTS:
        raise RenderError(f"unknown label variant {variant!r}; use one of {', '.join(VARIANTS)}")
    if size_mm is not None and variant != "compact":
        raise RenderError(f"a size applies to the compact label only, not to {variant!r}").about("size_mm")
    if variant == "graded":
        font, env, svg = prepare(declaration, templates_dir, font, issued, peer)
        return font, env, svg, LABEL_MM
    output.file_stem(declaration, issued=issued is not None)
    font = font or output.cjk_font()
    env = output.environment(templates_dir)
    if variant == "compact":
        ctx = compact_context(declaration, font, size_mm, issued)
        return font, env, output.render_template(env, "label_compact.svg.j2", C=ctx), ctx["mm"]
    ctx = declaration_context(declaration, font, issued)
    return font, env, output.render_template(env, "declaration.svg.j2", D=ctx), ctx["mm"]


def _pdf(env, svg: str, mm: tuple, font: str, title: str, images: dict | None = None) -> bytes:
    html = output.render_template(env, "label.html.j2", svg=Markup(svg), mm=mm, font=font, title=title)
    return output.html_to_pdf(html, output.template_folder(env), kept_style=True, images=images, svgs=[svg])


def label_pdf(env, svg: str, mm: tuple, font: str, title: str, images: dict | None = None) -> bytes:
    """A label's SVG (from :func:`variant_svg`, with its ``env``, ``mm`` and ``font``) on one PDF page
    of its size, titled ``title`` (``label.html.j2``); ``images`` as
    :func:`pcf.render.output.html_to_pdf`.

    Raises
    ------
    RenderError
        A missing template or a WeasyPrint failure.
    """
    return _pdf(env, svg, mm, font, title, images)


def render_label(declaration: Declaration, out_dir: Path, templates_dir: Path | None = None, variant: str = "graded",
                 size_mm: float | None = None, peer=None) -> dict[str, Path]:
    """Write a label of the family (default: the graded carbon label) of a declaration as SVG and PDF.

    Parameters
    ----------
    declaration : Declaration
        What the label states (:func:`pcf.declaration.read_declaration` reads a result file).
    out_dir : Path
        Output folder; created if missing.
    templates_dir : Path, optional
        Folder of the templates and ``label.html.j2`` [default: ``label_templates/``].
    variant : {"graded", "compact", "declaration"}
        Which label (:data:`VARIANTS`).
    size_mm : float, optional
        Side of the compact label [mm].
    peer : pcf.pcr.peers.PeerGrade, optional
        A peer grading the graded label prints as a line (``pcf label --grading``).

    Returns
    -------
    dict of str to Path
        ``{"svg": <out_dir>/<stem>.<suffix>.svg, "pdf": ...pdf}``, stem the product id (and
        scenario), suffix ``label``, ``label-compact`` or ``cf-declaration``.

    Raises
    ------
    RenderError
        On a product id that cannot name a file, a missing template, no CJK font (install
        fonts-noto-cjk), a WeasyPrint failure or an unwritable folder; no file is written then.
    """
    font, env, svg, mm = variant_svg(declaration, variant, templates_dir, size_mm=size_mm, peer=peer)
    pdf = _pdf(env, svg, mm, font, f"{declaration.result.product.id} {VARIANTS[variant][1]}")
    out = output.prepare_out_dir(out_dir)
    stem = f"{output.file_stem(declaration)}.{VARIANTS[variant][0]}"  # <product id>[.<scenario>].<suffix>
    paths = {"svg": out / f"{stem}.svg", "pdf": out / f"{stem}.pdf"}
    output.write_atomic({paths["svg"]: svg.encode("utf-8"), paths["pdf"]: pdf})
    return paths


def issued_label(declaration: Declaration, issued: dict, templates_dir: Path | None = None, variant: str = "graded",
                 size_mm: float | None = None, font: str | None = None, images: dict | None = None) -> dict[str, bytes]:
    """An issued (numbered) label of the family as SVG and PDF bytes; writes no file.

    Parameters
    ----------
    declaration : Declaration
        What the signed declaration states (:mod:`pcf.registry` builds it from the signed
        document, so the label shows exactly what was signed).
    issued : dict
        ``number``, ``valid_from``, ``valid_until``, ``issuer``, ``qr`` (see :func:`label_context`).
    templates_dir : Path, optional
        Folder of the templates [default: ``label_templates/``].
    variant, size_mm
        As :func:`render_label`.
    font : str, optional
        CJK font family [default: found with fontconfig].
    images : dict, optional
        Images WeasyPrint keeps between documents (:func:`pcf.render.output.html_to_pdf`).

    Returns
    -------
    dict of str to bytes
        ``{"svg": ..., "pdf": ...}``.

    Raises
    ------
    RenderError
        A missing template, no CJK font or a WeasyPrint failure.
    """
    font, env, svg, mm = variant_svg(declaration, variant, templates_dir, font, issued=issued, size_mm=size_mm)
    return {"svg": svg.encode("utf-8"), "pdf": _pdf(env, svg, mm, font, f"{issued['number']} {VARIANTS[variant][1]}",
                                                    images)}
