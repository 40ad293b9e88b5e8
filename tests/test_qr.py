"""The label's QR code as rectangles (pcf.render.qr): the path covers exactly qrcode's dark modules."""

from __future__ import annotations

import re

import qrcode

from pcf.render.qr import module_rectangles, qr_path


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
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
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
