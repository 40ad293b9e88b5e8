"""Speed-ups of WeasyPrint 70 for pcf's labels and statements (issue 18 part 5), installed by
:func:`pcf.render.output.html_to_pdf` before its first PDF.

1. **SVG text in runs.** WeasyPrint 70 draws an SVG ``<text>`` or ``<tspan>`` one letter at a
   time: a Pango layout per letter to measure it and another to draw it. An issued label has
   about 600 letters, which took three quarters of its PDF (about 0.25 s of CPU of 0.33 s). A text
   node with at most one ``x``, ``y``, ``dx`` and ``dy`` value and no ``rotate``,
   ``letter-spacing`` or ``textLength`` (every text pcf's templates draw) is laid out and drawn
   as one run here, with the same style, position, anchor and bounding box rules as WeasyPrint's
   own code (``weasyprint/svg/text.py``, whose per-letter loop this is for one letter); any other
   node goes to WeasyPrint's function. A run is also what the HTML text of a page is: kerning
   applies, and ``pdftotext`` reads words, not letters. A run's layout is kept per text, font
   attributes and size (per thread, :data:`MAX_KEPT_LINES`) and drawn again: most of a label's texts
   are the same on every label, and each issued label is drawn twice, in its PDF and its statement.
2. **One font subset per face and process.** WeasyPrint subsets every font of every PDF with
   HarfBuzz keeping the glyph ids (``HB_SUBSET_FLAGS_RETAIN_GIDS``); for a CJK face (Noto Sans
   CJK: 65,535 glyphs, 19 MB) that is 30-60 ms a face, and a label and its statement embed four
   or five faces. Because glyph ids are kept, a subset made for a superset of a document's
   glyphs is a valid font for that document: the last subset of each face is remembered with its
   glyph set and reused when a document needs no other glyph; otherwise the union is subset (a
   fresh set when the union would exceed :data:`MAX_SHARED_GLYPHS`, so a PDF never carries much
   more than it draws). The widths and Unicode map WeasyPrint writes stay the document's own.
   A kept subset is also kept compressed: pydyf deflates every font stream at level 9, and
   a CJK subset with its glyph ids kept is 0.8 MB before compression (20 ms a face). A face's
   first subset also holds the glyphs of printable ASCII (:data:`SEED`, when the face maps them,
   with their default substitutes: Noto Sans CJK SC draws digits with its ``locl`` ones), so
   that the digits and letters of the next labels' numbers, dates and hashes do not each cost a
   new subset (70 to 150 ms for a CJK face) one or two glyphs at a time (about 130 more glyphs,
   8 KB more in a label's PDF of 310 KB).
   WeasyPrint also copies each face's whole file out of HarfBuzz for every document (19 MB for
   Noto Sans CJK, 6 ms a face); the copy is made once per face and process here.

3. **Paths of rectangles.** A ``<path>`` whose data is only ``M x,y h w v h h-w z`` rectangles with
   integer numbers (the label's QR code, :func:`pcf.render.qr.qr_path`: ~900 of them for a signed
   token's 61 modules) is drawn as PDF rectangles (``re``, the same corners in the same order);
   WeasyPrint parses path data number by number in Python, a quarter of an issued label's
   rendering. The operators of a path are made once per path data and process (a label's QR code
   is drawn in its label and again in its statement: 2.4 ms each time one rectangle at a time).
   Any other path, or one with markers, goes to WeasyPrint's ``path``.

All rely on WeasyPrint internals, so :func:`install` patches only version 70 (pyproject's range)
and only when the functions it replaces are the ones it expects; otherwise, or with the
environment variable ``PCF_PLAIN_WEASYPRINT`` set (not empty), WeasyPrint runs unchanged (slower,
the same pages). tests/test_weasyfast.py compares the patched and unpatched output.

Why a patch, and when it goes. pcf keeps to a library's public API wherever one serves, and this
module is the exception, kept because none does yet: an issued label takes 0.74 s of CPU with
WeasyPrint's own code, 0.195 s with these patches (issue 18's target, 10 labels a second on two
cores, needs at most 0.2 s). Measured alternatives: CairoSVG 2.9 (``svg2pdf``, public API) takes
0.105 s for the label PDF alone (three times this module's label PDF) and the statement would still
draw the label with WeasyPrint; the label drawn as HTML would need a second template of every label
variant (the SVG is itself an output). Upstream knows the first point: Kozea/WeasyPrint issue #2249
("Don't separate combining characters in SVG text", open) asks for exactly this run drawing when a
text has no per-glyph positions, and its pull requests #2754-#2757 were closed for a rewrite of
WeasyPrint's text handling. When a WeasyPrint release draws such text as one run, patch 1 goes
(pyproject pins ``weasyprint<71``, so a new release is a deliberate upgrade: run
``benchmarks/labels.py`` with and without ``PCF_PLAIN_WEASYPRINT=1`` then), and the others are
weighed again against their measured gain.
"""

from __future__ import annotations

import functools
import re
import threading
from math import inf

#: A face's shared subset is rebuilt from the document's own glyphs past this many glyphs.
MAX_SHARED_GLYPHS = 1500

#: Characters whose glyphs a face's first shared subset holds too: printable ASCII.
SEED = "".join(chr(c) for c in range(0x20, 0x7F))

_LOCK = threading.Lock()
_STATE: dict = {"installed": None}


def install() -> bool:
    """Patch WeasyPrint (module docstring) once per process.

    Returns
    -------
    bool
        True when the patches are in place, False when this WeasyPrint is not the one they
        were written for (nothing is changed then).
    """
    with _LOCK:
        if _STATE["installed"] is None:
            _STATE["installed"] = _install()
        return _STATE["installed"]


def _install() -> bool:
    import importlib
    import os

    if os.environ.get("PCF_PLAIN_WEASYPRINT"):  # WeasyPrint's own code (benchmarks/labels.py's baseline)
        return False

    import weasyprint
    import weasyprint.svg as wsvg
    from weasyprint.pdf import fonts

    text_module = importlib.import_module("weasyprint.svg.text")  # the package's name `text` is the function

    original = getattr(text_module, "text", None)
    if original is None or not weasyprint.__version__.startswith("70."):
        return False
    if not (getattr(wsvg, "text", None) is original and wsvg.TAGS.get("text") is original
            and hasattr(fonts.Font, "subset")):
        return False
    _STATE["text"] = original
    for tag, function in list(wsvg.TAGS.items()):
        if function is original:
            wsvg.TAGS[tag] = _text
    wsvg.text = _text  # draw_node compares TAGS entries with this name for the text anchor
    if wsvg.TAGS.get("path") is not getattr(wsvg, "path", None):
        return False
    _STATE["path"] = wsvg.TAGS["path"]
    wsvg.TAGS["path"] = _path
    import pydyf

    if not isinstance(getattr(pydyf.Stream, "data", None), property):
        return False
    _STATE["subset"] = fonts.Font.subset
    fonts.Font.subset = _subset
    _STATE["stream_data"] = pydyf.Stream.data.fget
    pydyf.Stream.data = property(_stream_data)
    return _install_face_data(fonts)


def _install_face_data(fonts) -> bool:
    """Patch ``Font.__init__`` to copy a face's file once per process (module docstring)."""
    from weasyprint.text.ffi import ffi

    if getattr(fonts, "get_hb_object_data", None) is None or not callable(fonts.Font.__init__):
        return False
    ffi.cdef(_HB_SEED, override=True)
    _STATE["hb_object_data"] = fonts.get_hb_object_data
    _STATE["font_init"] = fonts.Font.__init__
    fonts.get_hb_object_data = _hb_object_data
    fonts.Font.__init__ = _font_init
    return True


_IN_INIT = threading.local()
#: (face address, data address, length) -> the face's file, for the faces of this process's fonts.
_FACE_DATA: dict = {}


def _font_init(self, *args, **kwargs):
    """``Font.__init__`` whose copy of the face's file comes from :data:`_FACE_DATA`."""
    _IN_INIT.on = True
    try:
        _STATE["font_init"](self, *args, **kwargs)
    finally:
        _IN_INIT.on = False


def _hb_object_data(hb_object, ot_color=None, glyph=None):
    """``get_hb_object_data``, kept per face when ``Font.__init__`` asks for a face's whole file
    (a subset's face, made and freed at each subset, is never kept: its address is reused)."""
    if ot_color is not None or not getattr(_IN_INIT, "on", False):
        return _STATE["hb_object_data"](hb_object, ot_color, glyph)
    from weasyprint.text.ffi import ffi, harfbuzz

    blob = harfbuzz.hb_face_reference_blob(hb_object)
    try:
        with ffi.new("unsigned int *") as length:
            data = harfbuzz.hb_blob_get_data(blob, length)
            key = (int(ffi.cast("uintptr_t", hb_object)), int(ffi.cast("uintptr_t", data)), int(length[0]))
    finally:
        harfbuzz.hb_blob_destroy(blob)
    with _LOCK:
        known = _FACE_DATA.get(key)
    if known is None:
        known = _STATE["hb_object_data"](hb_object)
        with _LOCK:
            _FACE_DATA[key] = known
    return known


#: The HarfBuzz functions :func:`_seed` calls that WeasyPrint does not declare.
_HB_SEED = """
hb_bool_t hb_font_get_nominal_glyph (hb_font_t *font, hb_codepoint_t unicode, hb_codepoint_t *glyph);
unsigned int hb_ot_layout_table_get_lookup_count (hb_face_t *face, hb_tag_t table_tag);
void hb_ot_layout_lookups_substitute_closure (hb_face_t *face, const hb_set_t *lookups, hb_set_t *glyphs);
void hb_ot_layout_collect_lookups (hb_face_t *face, hb_tag_t table_tag, const hb_tag_t *scripts,
                                   const hb_tag_t *languages, const hb_tag_t *features, hb_set_t *lookup_indexes);
hb_set_t * hb_set_create (void);
void hb_set_destroy (hb_set_t *set);
void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
void hb_set_add_range (hb_set_t *set, hb_codepoint_t first, hb_codepoint_t last);
hb_bool_t hb_set_next (const hb_set_t *set, hb_codepoint_t *codepoint);
"""


#: The substitution features HarfBuzz applies to horizontal text by default (hb-ot-shape.cc): the
#: digits of Noto Sans CJK SC are its ``locl`` alternates, for instance.
SEED_FEATURES = ("ccmp", "locl", "rlig", "calt", "clig", "liga", "rclt")


_SEEDS: dict = {}


def _seed(font, key) -> frozenset:
    """Glyph ids of :data:`SEED`'s characters in a face (those it maps), with the glyphs the face's
    default substitutions (:data:`SEED_FEATURES`, any script and language) turn them into; found
    once per face (``key``, as in :func:`_subset`) and process."""
    with _LOCK:
        known = _SEEDS.get(key)
    if known is None:
        known = _SEEDS[key] = frozenset(_seed_glyphs(font))
    return known


def _seed_glyphs(font) -> set:
    """:func:`_seed`, asking HarfBuzz."""
    from weasyprint.text.ffi import ffi, harfbuzz

    glyphs = ffi.gc(harfbuzz.hb_set_create(), harfbuzz.hb_set_destroy)
    lookups = ffi.gc(harfbuzz.hb_set_create(), harfbuzz.hb_set_destroy)
    gid = ffi.new("hb_codepoint_t *")
    for char in SEED:
        if harfbuzz.hb_font_get_nominal_glyph(font.hb_font, ord(char), gid):
            harfbuzz.hb_set_add(glyphs, gid[0])
    features = ffi.new("hb_tag_t[]", [harfbuzz.hb_tag_from_string(f.encode(), -1) for f in SEED_FEATURES] + [0])
    harfbuzz.hb_ot_layout_collect_lookups(font.hb_face, harfbuzz.hb_tag_from_string(b"GSUB", -1), ffi.NULL,
                                          ffi.NULL, features, lookups)
    harfbuzz.hb_ot_layout_lookups_substitute_closure(font.hb_face, lookups, glyphs)
    found, gid[0] = set(), 0xFFFFFFFF  # HB_SET_VALUE_INVALID: from the start
    while harfbuzz.hb_set_next(glyphs, gid):
        found.add(int(gid[0]))
    return found


def _simple(node) -> bool:
    """Whether a text node can be drawn as one run."""
    if node.tag not in ("text", "tspan") or not node.text:
        return False
    attrib = node.attrib
    if "rotate" in attrib or "textLength" in attrib or node.get("letter-spacing") not in (None, "", "0", "normal"):
        return False
    return all(len((attrib.get(name) or "").replace(",", " ").split()) <= 1 for name in ("x", "y", "dx", "dy"))


def _style(svg, node, font_size):
    """The style WeasyPrint's ``text`` builds for a node (same code)."""
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.svg.text import Style

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    style["font_weight"] = node.get("font-weight", 400)
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    if style["font_weight"] == "normal":
        style["font_weight"] = 400
    elif style["font_weight"] == "bold":
        style["font_weight"] = 700
    else:
        try:
            style["font_weight"] = int(style["font_weight"])
        except ValueError:
            style["font_weight"] = 400
    return style


def _first(svg, node, name: str, font_size, reference):
    """The one value of a position attribute [px], None when absent."""
    from weasyprint.svg.utils import normalize, size

    value = normalize(node.attrib.get(name)).strip() if name in node.attrib else ""
    return size(value, font_size, reference) if value else None


def _y_align(node, font_size, height) -> float:
    """Vertical shift of the text box: WeasyPrint's rules (and its approximations) unchanged."""
    ascent, descent = font_size * .8, font_size * .2
    anchor = node.get("display-anchor")
    baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if anchor == "middle":
        return -height / 2
    if anchor == "top":
        return 0
    if anchor == "bottom":
        return -height
    if baseline in ("central", "middle"):
        return (ascent + descent) / 2 - descent
    if baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        return ascent
    if baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        return -descent
    return 0


#: Characters that end a paragraph or a line for Pango: a text with one of them is measured by WeasyPrint.
_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _line(text: str, style, context) -> tuple:
    """Lay out a text node's text as one line: ``(layout, width, height, baseline)`` [px].

    WeasyPrint measures a text with one Pango layout (``split_first_line``, which then drops it),
    makes it again to draw, and ``draw_first_line`` makes it a third time by switching the layout to
    one paragraph. A text without a line or paragraph break, unwrapped (the SVG case, no width), is
    the same line in all three: here it is laid out once, in one-paragraph mode from the start, and
    that layout is drawn (:func:`_one_line`). Any other text is measured by WeasyPrint and laid out
    again to draw.
    """
    from weasyprint.text.line_break import split_first_line

    line = _one_line(text, style)
    if line is not None:
        return line
    layout, _, _, width, height, baseline = split_first_line(text, style, context, inf, 0)
    layout.reactivate(style)
    return layout, width, height, baseline


def _one_line(text: str, style) -> tuple | None:
    """:func:`_line` of a text without a line or paragraph break, in one Pango layout in one-paragraph
    mode; None when the text has such a break or Pango breaks it anyway."""
    from weasyprint.text.ffi import FROM_UNITS, pango
    from weasyprint.text.line_break import Layout, line_size

    if not _BREAKS.isdisjoint(text):
        return None
    layout = Layout(style, 0, inf)
    pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
    layout.set_text(text)
    line, resume = layout.get_first_line()
    if resume is not None:
        return None
    width, height = line_size(line, style)
    return layout, width, height, pango.pango_layout_get_baseline(layout.layout) * FROM_UNITS


#: One-line layouts of text nodes kept per thread: (text, font attributes, size) -> (font configuration,
#: style, line of :func:`_one_line`); at most :data:`MAX_KEPT_LINES`, the least recently drawn dropped.
_LINES = threading.local()
MAX_KEPT_LINES = 512


def _styled_line(svg, node, font_size) -> tuple:
    """``(style, (layout, width, height, baseline))`` of a simple text node (:func:`_style`, :func:`_line`).

    A one-line layout is kept (:data:`_LINES`) and drawn again for a node of the same text, font
    attributes and size: most of a label's texts are the same on every label, and each label is drawn
    twice (its PDF and its statement); 10 ms of a label's CPU went to laying them out again. Drawing
    a layout (WeasyPrint's ``draw_first_line``, one paragraph, no ellipsis) only reads it; the style is
    made of those attributes and the font configuration alone, which must be the same object.
    """
    from collections import OrderedDict

    key = (node.text, node.get("font-family", "sans-serif"), node.get("font-style", "normal"),
           node.get("font-weight", 400), node.get("direction"), font_size)
    kept = getattr(_LINES, "lines", None)
    if kept is None:
        kept = _LINES.lines = OrderedDict()
    found = kept.get(key)
    if found is not None and found[0] is svg.font_config:
        kept.move_to_end(key)
        return found[1], found[2]
    style = _style(svg, node, font_size)
    line = _one_line(node.text, style)
    if line is None:
        return style, _line(node.text, style, svg.context)
    kept[key] = (svg.font_config, style, line)
    if len(kept) > MAX_KEPT_LINES:
        kept.popitem(last=False)
    return style, line


def _text(svg, node, font_size):
    """Draw a text node as one run (module docstring), or hand it to WeasyPrint's ``text``."""
    if not _simple(node):
        return _STATE["text"](svg, node, font_size)
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import TextBox

    style, (layout, width, height, baseline) = _styled_line(svg, node, font_size)
    x = _first(svg, node, "x", font_size, svg.inner_width)
    y = _first(svg, node, "y", font_size, svg.inner_height)
    dx = _first(svg, node, "dx", font_size, svg.inner_width)
    dy = _first(svg, node, "dy", font_size, svg.inner_height)
    if x:  # WeasyPrint's test: an explicit 0 does not reset the shift either
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    svg.cursor_d_position[0] += dx or 0
    svg.cursor_d_position[1] += dy or 0
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + _y_align(node, font_size, height)
    points = ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height))
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, points)

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    svg.fill_stroke(fill, stroke, text=True)
    text_box = TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(svg.stream, text_box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


#: Path data of integer rectangles only, and one rectangle of it.
_RECTANGLES = re.compile(r"(?:M\d+,\d+h\d+v\d+h-\d+z)+")
_RECTANGLE = re.compile(r"M(\d+),(\d+)h(\d+)v(\d+)h-(\d+)z")
_MARKERS = ("marker", "marker-start", "marker-mid", "marker-end")


def _path(svg, node, font_size):
    """Draw a path of rectangles as PDF rectangles (module docstring), or hand it to WeasyPrint's ``path``."""
    operators = _rectangles(node.get("d", ""))
    if operators is None or any(m in node.attrib for m in _MARKERS):
        return _STATE["path"](svg, node, font_size)
    svg.stream.stream.append(operators)


@functools.lru_cache(maxsize=16)
def _rectangles(data: str) -> bytes | None:
    """The content-stream operators of path data made of integer rectangles only: ``x y w h re`` for
    each, one a line, the bytes pydyf's ``Stream.rectangle`` writes for each (its stream's items are
    joined by new lines); None for any other path data. Kept per path data: a label's QR code is
    drawn in its label and again in its statement (about 450 rectangles each)."""
    rectangles = _RECTANGLE.findall(data) if _RECTANGLES.fullmatch(data) else ()
    if not rectangles or any(r[2] != r[4] for r in rectangles):
        return None
    return b"\n".join(b"%d %d %d %d re" % (int(x), int(y), int(w), int(h)) for x, y, w, h, _ in rectangles)


_SUBSETS: dict = {}


def _subset(self, to_unicode, hinting):
    """``Font.subset`` keeping the last subset of each face (module docstring): a new subset holds the
    document's glyphs, the last subset's and :func:`_seed`'s, or as many of these as
    :data:`MAX_SHARED_GLYPHS` allows (the seed before the last subset's)."""
    if not to_unicode:
        return
    key = (self.hash, self.index, len(self.file_content), bool(self.missing), bool(hinting))
    glyphs = frozenset(to_unicode)
    with _LOCK:
        known = _SUBSETS.get(key)
    if known is not None and glyphs <= known[0]:
        self.file_content = known[1]
        return
    for more in ((known[0] if known else frozenset()) | _seed(self, key), _seed(self, key),
                 known[0] if known else frozenset()):
        if len(glyphs | more) <= MAX_SHARED_GLYPHS:
            glyphs = glyphs | more
            break
    _STATE["subset"](self, dict.fromkeys(sorted(glyphs)), hinting)
    with _LOCK:
        if key in _SUBSETS:
            _DEFLATED.pop(id(_SUBSETS[key][1]), None)
        _SUBSETS[key] = (glyphs, self.file_content)
        _DEFLATED[id(self.file_content)] = (self.file_content, None)


#: id of a kept subset -> (the subset, its deflated bytes or None until first written).
_DEFLATED: dict = {}


def _stream_data(self) -> bytes:
    """``pydyf.Stream.data`` that deflates a kept font subset once (pydyf's level 9, same bytes)."""
    import zlib

    from pydyf import Dictionary

    items = self.stream
    known = _DEFLATED.get(id(items[0])) if self.compress and len(items) == 1 else None
    if known is None or known[0] is not items[0]:
        return _STATE["stream_data"](self)
    deflated = known[1]
    if deflated is None:
        compressor = zlib.compressobj(level=9)
        deflated = compressor.compress(known[0]) + compressor.flush()
        with _LOCK:
            if _DEFLATED.get(id(known[0]), (None,))[0] is known[0]:
                _DEFLATED[id(known[0])] = (known[0], deflated)
    extra = Dictionary(self.extra.copy())
    extra["Filter"] = "/FlateDecode"
    extra["Length"] = len(deflated)
    return b"\n".join((extra.data, b"stream", deflated, b"endstream"))
