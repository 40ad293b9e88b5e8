"""Number formatting and bilingual (Chinese + English) names used on labels and reports.

Values follow the one number policy of :mod:`pcf.core.numbers` (significant figures,
thousands separators, never scientific notation: ``7,514``, ``72.43``, ``0.2090``) and shares
have 1 decimal (``60.0 %``); the text of the QR code uses the same rounding without separators
so that a person scanning it sees the label's number.
"""

from __future__ import annotations

import functools
import math
import unicodedata

from ..core import numbers
from ..core.vocabulary import GHG_NAMES, STAGE_NAMES, STAGE_SHORT


DASH = numbers.DASH


BOUNDARY_NAMES: dict[str, tuple[str, str]] = {
    "cradle-to-gate": ("从摇篮到大门", "cradle-to-gate"),
    "cradle-to-grave": ("从摇篮到坟墓", "cradle-to-grave"),
}

#: Display names of the characterisation methods pcf ships.
METHOD_NAMES: dict[str, str] = {
    "ipcc-2021-gwp100": "IPCC 2021 (AR6) GWP100",
    "ipcc-2013-gwp100": "IPCC 2013 (AR5) GWP100",
    "ef-3.1-climate-change": "EF 3.1 climate change (GWP100)",
}

#: Colour stops of the class scale, best (green) to worst (red), as on the EU energy label.
CLASS_STOPS = ["#00a651", "#8cc63f", "#ffde17", "#f7941d", "#e3262e"]

#: Stage colours of the share bars (distinct, colour-blind friendly, ordered like STAGE_NAMES).
STAGE_COLOURS = ["#1f5f8b", "#3a9d8f", "#e9c46a", "#f4a261", "#8d6a9f", "#7a7a7a", "#b5838d"]


def sig(value: float | None, figures: int = numbers.FIGURES, grouping: bool = True) -> str:
    """Format a number by the one number policy (:func:`pcf.core.numbers.figure`): significant
    figures [default :data:`pcf.core.numbers.FIGURES`], ``,`` separators unless ``grouping`` is
    False, plain notation (never an exponent); None gives an en dash."""
    return numbers.figure(value, figures, grouping)


def amount(value: float | None) -> str:
    """An amount as given (declared units per reference flow, parameters): up to 6 significant
    figures, no trailing zeros, plain notation (:func:`pcf.core.numbers.amount`)."""
    return numbers.amount(value)


def pct(fraction: float | None) -> str:
    """A share [-] as a percentage with 1 decimal, e.g. ``60.0 %`` (:func:`pcf.core.numbers.percent`)."""
    return numbers.percent(fraction)


def plain_text(text: str | None) -> str | None:
    """Stored human text (a finding, a declaration item) with numbers in scientific notation
    written plainly (:func:`pcf.core.numbers.plain_text`)."""
    return numbers.plain_text(text) if text else text


def share(part: float, total: float) -> float | None:
    """Share of a part in a total [-], or None when the total is zero."""
    return None if total == 0 else part / total


def stage_name(key: str) -> tuple[str, str]:
    """(Chinese, English) name of a life-cycle stage key; unknown keys are shown as-is."""
    if key in STAGE_NAMES:
        return STAGE_NAMES[key]
    return ("", key.replace("_", " ").capitalize())


def method_label(result) -> str:
    """Display name of the characterisation method of a result (e.g. IPCC 2021 (AR6) GWP100).

    Parameters
    ----------
    result : pcf.lca.result.FootprintResult
        Its ``method`` id and Brightway ``method_name``.
    """
    method = result.method or ""
    if method in METHOD_NAMES:
        return METHOD_NAMES[method]
    names = result.method_name
    if names:
        return " / ".join(str(n) for n in names)
    return str(method) or DASH


def gwp_basis_words(result) -> tuple[str, str] | None:
    """The share of the total from factors on another GWP basis than the method's, in plain
    (Chinese, English) words, e.g. ``"37.0 % of the total from factors on other GWP bases"``;
    None for a result written before issue 14 (no ``gwp_basis_summary``).

    Parameters
    ----------
    result : pcf.lca.result.FootprintResult
        Its ``gwp_basis_summary`` (:mod:`pcf.lca.gwpbasis`).
    """
    summary = result.gwp_basis_summary
    if not summary:
        return None
    if not summary.other_basis_share:
        return "全部因子与方法的GWP基准一致", "all factors on the method's GWP basis"
    share = pct(summary.other_basis_share)
    return f"{share} 来自其他GWP基准的因子", f"{share} of the total from factors on other GWP bases"


#: Advance widths [1/1000 em] of the printable ASCII characters (U+0020 to U+007E, in order) in Noto Sans CJK
#: SC Regular and Bold, the CJK font the Makefile installs and the labels draw with: the ``hmtx`` of face 2
#: (SC) of NotoSansCJK-Regular.ttc and NotoSansCJK-Bold.ttc (Debian fonts-noto-cjk 1:20220127, 1,000 units
#: per em), read with fontTools. Capitals and digits are wider than the 0.55 em pcf assumed before (an
#: all-capitals name or a long product id ran off the label: "W" is 0.878 em, "M" 0.812 em).
ASCII_WIDTHS: dict[bool, tuple[int, ...]] = {
    False: (
        224, 323, 474, 555, 555, 921, 680, 278, 338, 338, 467, 555, 278, 347, 278, 392, 555, 555, 555,
        555, 555, 555, 555, 555, 555, 555, 278, 278, 555, 555, 555, 474, 946, 608, 657, 638, 688, 589,
        552, 689, 728, 293, 535, 646, 543, 812, 723, 742, 633, 742, 635, 596, 599, 721, 575, 878, 573,
        531, 603, 338, 392, 338, 555, 559, 606, 563, 618, 510, 620, 554, 325, 564, 607, 275, 275, 552,
        284, 926, 610, 606, 620, 620, 388, 468, 377, 607, 521, 802, 498, 521, 475, 338, 270, 338, 555,
    ),
    True: (
        227, 370, 574, 590, 590, 963, 740, 325, 378, 378, 507, 590, 325, 370, 325, 387, 590, 590, 590,
        590, 590, 590, 590, 590, 590, 590, 325, 325, 590, 590, 590, 514, 1007, 641, 681, 656, 714, 615,
        585, 717, 757, 330, 568, 686, 578, 853, 749, 770, 667, 770, 682, 624, 625, 748, 619, 915, 627,
        580, 613, 378, 387, 378, 590, 567, 626, 591, 644, 527, 644, 581, 372, 597, 640, 304, 306, 604,
        315, 964, 641, 626, 644, 644, 436, 495, 421, 637, 576, 863, 562, 574, 511, 378, 296, 378, 590,
    ),
}

#: Width [em] assumed for a character that is neither printable ASCII, nor a Latin letter with accents
#: (measured as its base letter), nor CJK: the widest Latin-1, Latin Extended, Greek and Cyrillic glyph of the
#: bold face (1.064 em), wider than curly quotes, "×", "·" and "—" (1 em or less), so that text measured with
#: it fits. Emoji (from U+1F000), drawn from another font, count 1.25 em.
OTHER_EM = 1.07
EMOJI_EM = 1.25


def text_width(text: str, size: float = 1.0, bold: bool = False) -> float:
    """The width of ``text`` drawn at font size ``size`` [user units]: printable ASCII by its advance width in
    Noto Sans CJK SC (:data:`ASCII_WIDTHS`, ``bold`` for the bold face), a Latin letter with accents as its
    base letter (combining marks take no width), CJK characters (U+2E80 to U+1EFFF) 1 em, emoji
    :data:`EMOJI_EM`, any other character :data:`OTHER_EM`. Kerning is ignored (it only narrows the text)."""
    return sum(map(_em_of(bold), text)) * size


@functools.cache
def _em_of(bold: bool):
    """A function character -> its width [em] (:func:`text_width`)."""
    widths = {chr(0x20 + i): w / 1000.0 for i, w in enumerate(ASCII_WIDTHS[bool(bold)])}

    @functools.lru_cache(maxsize=4096)
    def other(ch: str) -> float:
        code = ord(ch)
        if code >= 0x1F000:
            return EMOJI_EM
        if code >= 0x2E80:
            return 1.0
        if unicodedata.combining(ch):
            return 0.0
        base = unicodedata.normalize("NFD", ch)[0]
        return widths[base] if base in widths else OTHER_EM

    return lambda ch: widths.get(ch) or other(ch)


def fit_size(text: str, width: float, size: float, bold: bool = False) -> float:
    """The font size [user units] at most ``size``, rounded down to 0.1, at which ``text`` fits ``width``
    [user units] (:func:`text_width`)."""
    ems = max(text_width(text, 1.0, bold), 1.0)
    return min(size, math.floor(width / ems * 10) / 10)


def method_line(result) -> str:
    """The method and the GWP-basis share on one line (label, declaration): ``IPCC 2021 (AR6)
    GWP100; 37.0 % of the total from factors on other GWP bases``; the method alone for a
    result without ``gwp_basis_summary``."""
    words = gwp_basis_words(result)
    return method_label(result) if words is None else f"{method_label(result)}; {words[1]}"


def class_colours(n: int) -> list[str]:
    """Colours of an n-class scale, interpolated green -> yellow -> red.

    Parameters
    ----------
    n : int
        Number of classes (>= 1).

    Returns
    -------
    list of str
        ``#rrggbb`` colours, best class first.
    """
    if n <= 1:
        return CLASS_STOPS[:1]
    stops = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in CLASS_STOPS]
    out = []
    for i in range(n):
        pos = i * (len(stops) - 1) / (n - 1)
        lo = min(int(pos), len(stops) - 2)
        t = pos - lo
        rgb = [round(a + (b - a) * t) for a, b in zip(stops[lo], stops[lo + 1])]
        out.append("#" + "".join(f"{v:02x}" for v in rgb))
    return out


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on a ``#rrggbb`` background."""
    r, g, b = (int(background[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.299 * r + 0.587 * g + 0.114 * b
    return "#1a1a1a" if luminance > 150 else "#ffffff"


def wrap(text: str, width: float) -> list[str]:
    """Break text into lines of at most ``width`` Latin-character widths.

    CJK characters count as two widths. Words are kept whole where possible; a word
    longer than a line is cut.

    Parameters
    ----------
    text : str
        The text.
    width : float
        Line width [Latin characters].

    Returns
    -------
    list of str
    """
    return _wrap(text, width, lambda ch: 2.0 if ord(ch) > 0x2E80 else 1.0)


def wrap_measured(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """:func:`wrap` by drawn width: lines of ``text`` at font size ``size`` at most ``width`` [user units]
    wide (:func:`text_width`); words kept whole where possible, a word longer than a line split."""
    em = _em_of(bold)
    return _wrap(text, width, lambda ch: em(ch) * size)


def _wrap(text: str, width: float, char_width) -> list[str]:
    """Lines of ``text`` at most ``width`` wide, ``char_width(ch)`` the width of a character (:func:`wrap`)."""
    def w(s: str) -> float:
        return sum(map(char_width, s))

    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        candidate = line + token
        if w(candidate.rstrip()) <= width or not line.strip():
            line = candidate
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
        while w(line.rstrip()) > width:  # an over-long token, first on its line or not: split after the
            cut, total = 0, 0.0          # most characters that fit (at least one)
            for ch in line:
                total += char_width(ch)
                if total > width:
                    break
                cut += 1
            cut = max(cut, 1)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _tokens(text: str) -> list[str]:
    """Split text into words (with their trailing space) and single CJK characters."""
    tokens: list[str] = []
    current = ""
    for ch in text:
        if ord(ch) > 0x2E80:
            if current:
                tokens.append(current)
                current = ""
            tokens.append(ch)
        else:
            current += ch
            if ch == " ":
                tokens.append(current)
                current = ""
    if current:
        tokens.append(current)
    return tokens


def ellipsize(lines: list[str], max_lines: int) -> list[str]:
    """Keep at most ``max_lines`` lines, ending the last kept one with an ellipsis."""
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    kept[-1] = kept[-1].rstrip()[:-1].rstrip() + "…"
    return kept


def nice_step(span: float) -> float:
    """A round axis step (1, 2, 2.5 or 5 x 10^k) giving about four intervals over a span.

    Parameters
    ----------
    span : float
        Width of the value range [any unit]; zero gives 1.

    Returns
    -------
    float
    """
    if span <= 0:
        return 1.0
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw * (1 - 1e-9):
            return m * magnitude
    return 10 * magnitude
