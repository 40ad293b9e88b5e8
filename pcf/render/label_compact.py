"""Compact carbon label for small packaging: a square of 8 to 60 mm.

The size bounds are those issue 5 gives for T/DZJN 004-2019; the standard's own text was
not found (``pcr-sources/NOTES.md`` 3d), so nothing else is taken from it. The label is drawn
in a 200 x 200 user space and scaled to the side asked for; what fits depends on the size:

- ``full`` (side >= :data:`FULL_MIN_MM`): bilingual title, value, unit, class chip, label
  number (placeholder until issued) and, when its modules are at least :data:`QR_MODULE_MIN_MM`
  wide, the QR code;
- ``mini`` (smaller): the Chinese title, the value, the unit and the class only.

References
----------
ISO/IEC 18004:2015 (QR code); ISO 14026:2017 (footprint communication).
"""

from __future__ import annotations

from pcf.declaration import Declaration
from pcf.core.errors import RenderError
from pcf.render import fmt, view
from pcf.render.qr import qr_path

#: Side of the compact label [mm], smallest and largest (issue 5, after T/DZJN 004-2019).
SIZE_BOUNDS_MM = (8.0, 60.0)
#: Default side [mm].
DEFAULT_MM = 30.0
#: Smallest side with the full layout [mm]; below it the label shows value, unit and class only.
FULL_MIN_MM = 22.0
#: Smallest printed QR module [mm] the label accepts; below it the QR code is left out
#: (about the 0.25 mm that phone cameras resolve at reading distance; ISO/IEC 18004 sets none).
QR_MODULE_MIN_MM = 0.25
#: Side of the QR code in user units (of 200).
QR_UNITS = 74.0
UNITS = 200.0


def _meaning(words: tuple[str, str] | None, layout: str, show_qr: bool, value_size: float) -> list[dict]:
    """The lines that say what the declared unit is, under the unit, marked ``*`` like it: the
    Chinese, then the English words (:func:`pcf.render.view.declared_unit_words`), wrapped to
    the width left of the QR code and never cut; ``[{text, y, size}]`` [user units]."""
    if not words:
        return []
    zh, en = words
    if layout == "mini":
        size = min(fmt.fit_size(f"* {zh}", 184.0, 11.0), fmt.fit_size(en, 184.0, 11.0))
        return [{"text": f"* {zh}", "y": 172.0, "size": size}, {"text": en, "y": 186.0, "size": size}]
    width = 96.0 if show_qr else 176.0
    size = 8.0
    lines = fmt.wrap_measured(f"* {zh}", width, size) + fmt.wrap_measured(en, width, size)
    top = 64.0 + value_size * 0.8 + 16.0 + 12.0
    return [{"text": line, "y": round(top + i * 9.5, 1), "size": size} for i, line in enumerate(lines)]


def compact_context(declaration: Declaration, font: str, size_mm: float | None = None, issued: dict | None = None) -> dict:
    """Everything ``label_compact.svg.j2`` draws [user units, 200 per side].

    Parameters
    ----------
    declaration : Declaration
    font : str
        CJK font family.
    size_mm : float, optional
        Side of the label [mm], within :data:`SIZE_BOUNDS_MM` [default :data:`DEFAULT_MM`].
    issued : dict, optional
        An issued label's ``number``, ``valid_from``, ``valid_until``, ``issuer`` and ``qr``
        (see :func:`pcf.render.label.label_context`).

    Returns
    -------
    dict
        ``mm`` (side, side), ``layout`` (full | mini), ``value``, ``unit``, ``cls`` (class or
        None), ``chip`` colours, ``qr`` (path data or None), ``state`` (:func:`view.issue_state`),
        sizes of the value text.

    Raises
    ------
    RenderError
        When ``size_mm`` is outside :data:`SIZE_BOUNDS_MM`.
    """
    size = DEFAULT_MM if size_mm is None else float(size_mm)
    lo, hi = SIZE_BOUNDS_MM
    if not lo <= size <= hi:
        raise RenderError(f"the compact label is {lo:g} to {hi:g} mm wide (T/DZJN 004-2019 bounds); got {size:g} mm: "
                          "choose a size in that range or use the full label")
    head = view.headline(declaration)
    layout = "full" if size >= FULL_MIN_MM else "mini"
    mm_per_unit = size / UNITS
    qr = qr_path(issued["qr"]) if issued else None  # a draft has no code to scan (issue 20 part 3)
    module_mm = QR_UNITS * mm_per_unit / qr["modules"] if qr else 0.0
    show_qr = qr is not None and layout == "full" and module_mm >= QR_MODULE_MIN_MM
    scale = view.class_scale(declaration)
    cls = scale["cls"]
    colour = next((r["colour"] for r in scale["rows"] if r["current"]), "#ffffff")
    text = head["text"]
    has_classes = view.no_classes(declaration) is None
    # value width ~0.6 em per character, left of the class chip (both layouts) or across the label
    room = 120.0 if has_classes else 180.0
    value_size = max(20.0, min(56.0 if layout == "mini" else 46.0, room / (0.6 * max(len(text), 1))))
    unit = head["unit"].replace("kg CO2e / ", "kg CO2e/")
    words = view.declared_unit_words(declaration)
    return {
        "font": font, "mm": (size, size), "units": (UNITS, UNITS), "layout": layout,
        "value": text, "unit": unit + ("*" if words else ""), "value_size": round(value_size, 1),
        "unit_size": 18.0 if layout == "mini" else 12.0,
        "meaning": _meaning(words, layout, show_qr, value_size),
        "basis_zh": head["basis_zh"], "basis_en": head["basis_en"],
        "cls": cls, "chip": colour, "chip_ink": fmt.text_colour(colour) if cls else "#555555",
        "has_classes": has_classes,
        "illustrative": scale["illustrative"],
        "qr": qr if show_qr else None, "qr_units": QR_UNITS, "module_mm": round(module_mm, 3),
        "watermark": view.draft_watermark(UNITS, UNITS, issued),
        "state": view.issue_state(declaration, issued),
        "product_id": declaration.result.product.id,
        "pcr": view.pcr_text(declaration),
    }
