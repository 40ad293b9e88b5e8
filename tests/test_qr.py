"""The label's QR code as rectangles (pcf.render.qr): the path covers exactly qrcode's dark modules, and
the symbol is error correction level M with data mask 3, as its format information says."""

from __future__ import annotations

import re

import qrcode

from pcf.render.qr import MASK_PATTERN, module_rectangles, qr_path


def painted(d: str, side: int) -> list[list[int]]:
    """How often each module is covered by the rectangles ``M x,y h w v h h-w z`` of a path."""
    grid = [[0] * side for _ in range(side)]
    rects = re.findall(r"M(\d+),(\d+)h(\d+)v(\d+)h-(\d+)z", d)
    assert "".join(f"M{x},{y}h{w}v{h}h-{w2}z" for x, y, w, h, w2 in rects) == d  # nothing else in the path
    for x, y, w, h, w2 in rects:
        assert w == w2
        for row in range(int(y), int(y) + int(h)):
            for col in range(int(x), int(x) + int(w)):
                grid[row][col] += 1
    return grid


def test_rectangles_cover_the_dark_modules_once():
    for text in ("PCF1|id=SKU-1|v=72.4", "https://labels.example.org/labels/BEN-2026-000001-61.html",
                 "pcf1." + "A" * 300):
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=MASK_PATTERN)
        qr.add_data(text)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        got = qr_path(text)
        assert got["modules"] == len(matrix) == qr.modules_count
        assert painted(got["d"], got["modules"]) == [[int(v) for v in row] for row in matrix]
        squares = sum(map(sum, matrix))
        assert len(module_rectangles(matrix)) < squares / 2  # fewer commands than one square per module


def test_rectangles_by_hand():
    matrix = [[True, True, False],
              [True, True, False],
              [False, True, True]]
    assert module_rectangles(matrix) == [(0, 0, 2, 2), (1, 2, 2, 1)]
    assert module_rectangles([[False]]) == []
    assert module_rectangles([[True], [True], [False], [True]]) == [(0, 0, 1, 2), (0, 3, 1, 1)]


def format_information(d: str, side: int) -> int:
    """The 15 format-information bits of a symbol drawn as a path, read from column 8 next to the
    finder patterns (ISO/IEC 18004:2015 7.9.1, Figure 25: bit 0 in row 0, bits 0-5 in rows 0-5,
    bits 6-7 in rows 7-8, bits 8-14 in the bottom 7 rows)."""
    grid = painted(d, side)
    rows = [0, 1, 2, 3, 4, 5, 7, 8] + [side - 7 + i for i in range(7)]
    return sum(grid[row][8] << bit for bit, row in enumerate(rows))


def test_the_symbol_says_level_m_and_mask_3():
    """ISO/IEC 18004:2015 Annex C, Table C.1: level M (00) with mask 011 is 101101101001011 after the
    BCH code and the XOR with 101010000010010. A reader takes the mask from these bits, so the mask
    pcf names is as readable as the one qrcode would have chosen by its penalty scores."""
    for text in ("https://labels.example.org/labels/BEN-2026-000001-61.html", "pcf1." + "A" * 300):
        got = qr_path(text)
        assert format_information(got["d"], got["modules"]) == 0b101101101001011
