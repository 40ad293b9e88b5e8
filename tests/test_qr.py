"""The label's QR code as rectangles (pcf.render.qr): the path covers exactly qrcode's dark modules."""

from __future__ import annotations

import random
import re

import qrcode

from pcf.render.qr import mask_penalty, module_rectangles, qr_path


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


def test_mask_penalty_by_hand():
    light = [[False] * 11 for _ in range(11)]
    # runs: 22 lines of 11 (11 - 2 = 9 each) = 198; 2x2 blocks: 100 x 3 = 300; no finder-like
    # pattern; 0 % dark: |0 - 50| / 5 = 10 steps x 10 = 100
    assert mask_penalty(light) == 198 + 300 + 100
    finder = [[c == "1" for c in "10111010000"] for _ in range(11)]
    # runs: the 11 columns (9 each) = 99; blocks: 5 equal neighbour pairs a row x 10 row pairs x 3 = 150;
    # the 1:1:3:1:1 + four light pattern in each of the 11 rows: 440; 55/121 dark = 45.5 %: 0
    assert mask_penalty(finder) == 99 + 150 + 440


def test_mask_penalty_is_qrcodes_and_the_symbol_unchanged():
    """The same penalty as qrcode's own ``lost_point`` for every mask of random symbols, so the same
    mask is chosen and the symbol is qrcode's."""
    rng = random.Random(5)
    for _ in range(25):
        text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_.:/") for _ in range(rng.randint(5, 300)))
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        qr.add_data(text)
        qr.make(fit=True)
        plain = [[int(v) for v in row] for row in qr.get_matrix()]
        for mask in range(8):
            qr.makeImpl(True, mask)
            assert mask_penalty(qr.modules) == qrcode.util.lost_point(qr.modules)
        got = qr_path(text)
        assert painted(got["d"], got["modules"]) == plain


def test_codewords_are_qrcodes():
    """pcf.render.qr._create_data gives qrcode's own codewords (data, padding, Reed-Solomon blocks,
    interleaving) for texts in every mode qrcode picks (numeric, alphanumeric, bytes, mixed) and
    every error correction level; the symbols drawn from them are qrcode's."""
    from pcf.render.qr import _create_data, _QRCode

    rng = random.Random(11)
    alphabets = ("0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:", "abc|=中文-_.:/0123456789")
    for _ in range(24):
        text = "".join(rng.choice(rng.choice(alphabets)) for _ in range(rng.randint(1, 700)))
        for level in (qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
                      qrcode.constants.ERROR_CORRECT_Q, qrcode.constants.ERROR_CORRECT_H):
            qr = qrcode.QRCode(error_correction=level, border=0)
            qr.add_data(text)
            qr.make(fit=True)
            assert _create_data(qr.version, level, qr.data_list) == qrcode.util.create_data(
                qr.version, level, qr.data_list)
            ours = _QRCode(error_correction=level, border=0)
            ours.add_data(text)
            ours.make(fit=True)
            assert ours.version == qr.version and ours.get_matrix() == qr.get_matrix()
