"""The label's QR code: the verification text it encodes and the code as one SVG path.

Shared by every label of the family (:mod:`.label`, :mod:`.label_compact`, :mod:`.declaration`)
and the report.
"""

from __future__ import annotations

import urllib.parse

from bisect import bisect_left

import numpy as np
import qrcode
from qrcode import LUT, base, exceptions, util

from pcf.declaration import Declaration
from pcf.render import view

_QR_SAFE = " ./-_@:+()"  # characters kept as-is in QR fields; others are %-encoded


def label_verification_text(declaration: Declaration) -> str:
    """The compact text the label's QR code encodes.

    ``PCF1|id=<product id>|v=<value>|u=<unit>|class=<class>|pcr=<id>@<version>|
    m=<method>|sha256=<first 12 hex of the model sha256>``; the value is the one printed
    on the label (3 significant figures, no separators), per declared unit or, without
    one, per reference flow; ``-`` marks a missing class or PCR. Field values have ``|``,
    ``=``, ``%`` and non-ASCII characters %-encoded. Later versions replace this text by a
    signed token (label issuance); callers only rely on it being a string.

    Parameters
    ----------
    declaration : Declaration

    Returns
    -------
    str
        E.g. ``PCF1|id=SKU-1|v=72.4|u=kg CO2e/kWh|class=B|pcr=eu-battery-cfb-ev@0.1|
        m=ipcc-2021-gwp100|sha256=0123456789ab``.

    Raises
    ------
    RenderError
        The declared figure is not a finite number (:func:`view.headline`).
    """
    result = declaration.result
    head = view.headline(declaration)
    a = declaration.assessment
    pcr_field = f"{a.pcr.id}@{a.pcr.version or ''}" if a is not None and a.pcr.id else "-"
    fields = [
        ("id", result.product.id),
        ("v", head["plain"]),
        ("u", head["unit"].replace(" / ", "/")),
        ("class", declaration.graded_class or "-"),
        ("pcr", pcr_field),
        ("m", result.method),
        ("sha256", result.model_sha256[:12].lower()),
    ]
    return "PCF1|" + "|".join(f"{k}={urllib.parse.quote(str(v), safe=_QR_SAFE)}"
                              for k, v in fields)


def qr_path(text: str) -> dict:
    """QR code of a text as one SVG path, error correction M (qrcode's symbol).

    The dark modules are drawn as rectangles: the runs of dark modules of each row, a run that
    repeats in the rows below it extended down over them (about a third as many path commands as
    one square per module, which WeasyPrint parses and draws one by one: a fifth of an issued
    label's PDF before, issue 18 part 5).

    Parameters
    ----------
    text : str
        The text to encode.

    Returns
    -------
    dict
        ``d`` (path data, one unit per module, no quiet zone) and ``modules`` (the side
        of the symbol [modules]).
    """
    qr = _QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(text)
    qr.make(fit=True)
    return {"d": "".join(f"M{x},{y}h{w}v{h}h-{w}z" for x, y, w, h in module_rectangles(qr.get_matrix())),
            "modules": qr.modules_count}


def module_rectangles(matrix: list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """Rectangles covering exactly the dark modules of a QR matrix, none overlapping.

    Parameters
    ----------
    matrix : list of list of bool
        Rows of modules, True dark.

    Returns
    -------
    list of tuple of int
        ``(x, y, width, height)`` [modules], in the order of their top-left corners (row, then column).
    """
    open_runs: dict[tuple[int, int], list[int]] = {}  # (x, width) -> [x, y, width, height] still growing
    done: list[list[int]] = []
    for y, row in enumerate(matrix):
        runs, x = set(), 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.add((start, x - start))
            else:
                x += 1
        for run in list(open_runs):
            if run in runs:
                open_runs[run][3] += 1
                runs.discard(run)
            else:
                done.append(open_runs.pop(run))
        for start, width in runs:
            open_runs[(start, width)] = [start, y, width, 1]
    done.extend(open_runs.values())
    return sorted((tuple(r) for r in done), key=lambda r: (r[1], r[0]))


#: The finder-like pattern of penalty rule 3 (1:1:3:1:1 with four light modules after or before it).
_FINDER_LIKE = np.array([[1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1]], dtype=bool)


def mask_penalty(modules) -> int:
    """The penalty qrcode gives a masked symbol (``qrcode.util.lost_point``), computed on arrays.

    ISO/IEC 18004:2015 7.8.3 as qrcode implements it: runs of five or more modules of one colour
    in a row or column (length - 2 each), 2 x 2 blocks of one colour (3 each), the 1:1:3:1:1
    finder-like pattern with four light modules beside it in a row or column (40 each), and 10
    per whole 5 % the dark share is away from 50 %.

    Parameters
    ----------
    modules : list of list of bool
        The symbol, rows of modules (True dark).

    Returns
    -------
    int
    """
    return int(_penalties(np.asarray(modules, dtype=bool)[None])[0])


def _penalties(symbols: np.ndarray) -> np.ndarray:
    """:func:`mask_penalty` of each symbol of a stack ``(count, n, n)`` [bool], as ``(count,)`` ints."""
    count, n = symbols.shape[:2]
    score = np.zeros(count, dtype=np.int64)
    for grids in (symbols, symbols.transpose(0, 2, 1)):
        change = np.ones((count, n, n + 1), dtype=bool)  # a run starts at column 0 and ends at column n
        change[:, :, 1:-1] = grids[:, :, 1:] != grids[:, :, :-1]
        for k in range(count):
            runs = np.diff(np.flatnonzero(change[k].ravel()))  # across two rows: a run of 1, never counted
            score[k] += int((runs[runs >= 5] - 2).sum())
        windows = np.lib.stride_tricks.sliding_window_view(grids, 11, axis=2)
        score += 40 * sum((windows == p).all(axis=3).sum(axis=(1, 2)) for p in _FINDER_LIKE)
    corner = symbols[:, :-1, :-1]
    blocks = (corner == symbols[:, :-1, 1:]) & (corner == symbols[:, 1:, :-1]) & (corner == symbols[:, 1:, 1:])
    score += 3 * blocks.sum(axis=(1, 2))
    percent = symbols.sum(axis=(1, 2)).astype(float) / (n ** 2)
    return score + (np.abs(percent * 100 - 50) / 5).astype(np.int64) * 10


#: The eight data masks, dark where a module is inverted (ISO/IEC 18004:2015 Table 10; qrcode.util.mask_func).
_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)

#: version -> (rows, columns) of the data modules in the order qrcode places the data bits.
_DATA_ORDER: dict[int, tuple] = {}


def _data_order(modules: list) -> tuple:
    """Rows and columns of the modules qrcode's ``map_data`` fills (those still None after the
    function patterns and format information), in its zigzag order: up and down two columns at a
    time from the right, skipping the vertical timing column (ISO/IEC 18004:2015 7.7.3)."""
    n = len(modules)
    rows, cols = [], []
    inc, row = -1, n - 1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    rows.append(row)
                    cols.append(c)
            row += inc
            if row < 0 or n <= row:
                row -= inc
                inc = -inc
                break
    return np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp)


class _Bits:
    """qrcode's ``BitBuffer`` as one integer (``put``, ``put_bit``, ``len``), for the data segments'
    own ``write``: qrcode's sets one list entry per bit."""

    __slots__ = ("value", "length")

    def __init__(self):
        self.value = self.length = 0

    def put(self, num: int, length: int) -> None:
        """Append the low ``length`` bits of ``num``, most significant first."""
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length

    def put_bit(self, bit) -> None:
        self.put(1 if bit else 0, 1)

    def __len__(self) -> int:
        return self.length

    def to_bytes(self) -> bytes:
        """The bits, the last byte filled with 0."""
        pad = -self.length % 8
        return (self.value << pad).to_bytes((self.length + pad) // 8, "big")


def _ec_codewords(data: bytes, count: int) -> list[int]:
    """The ``count`` Reed-Solomon error correction codewords of a block (ISO/IEC 18004:2015 7.5.2):
    the remainder of data x^count divided by qrcode's generator polynomial, by long division in
    GF(256) with qrcode's log and exponent tables (qrcode divides recursively, one list a step)."""
    generator = LUT.rsPoly_LUT.get(count)
    if generator is None:
        poly = base.Polynomial([1], 0)
        for i in range(count):
            poly = poly * base.Polynomial([1, base.gexp(i)], 0)
        generator = list(poly)
    logs = [base.LOG_TABLE[g] if g else None for g in generator[1:]]
    remainder = [0] * count
    for byte in data:
        factor = byte ^ remainder[0]
        remainder = remainder[1:] + [0]
        if factor:
            shift = base.LOG_TABLE[factor]
            for i, log in enumerate(logs):
                if log is not None:
                    remainder[i] ^= base.EXP_TABLE[(shift + log) % 255]
    return remainder


def _create_data(version: int, error_correction: int, data_list: list) -> list[int]:
    """qrcode's ``util.create_data``: the segments' bits, terminator and pad codewords, split in the
    version's blocks, each with its error correction, interleaved (ISO/IEC 18004:2015 7.4, 7.6)."""
    bits = _Bits()
    for data in data_list:
        bits.put(data.mode, 4)
        bits.put(len(data), util.length_in_bits(data.mode, version))
        data.write(bits)
    blocks = base.rs_blocks(version, error_correction)
    bit_limit = sum(block.data_count * 8 for block in blocks)
    if len(bits) > bit_limit:
        raise exceptions.DataOverflowError(
            f"Code length overflow. Data size ({len(bits)}) > size available ({bit_limit})")
    bits.put(0, min(bit_limit - len(bits), 4))
    data = bits.to_bytes()
    data += bytes((util.PAD0, util.PAD1)[i % 2] for i in range(bit_limit // 8 - len(data)))
    dc, ec, offset = [], [], 0
    for block in blocks:
        dc.append(data[offset:offset + block.data_count])
        ec.append(_ec_codewords(dc[-1], block.total_count - block.data_count))
        offset += block.data_count
    interleaved = [d[i] for i in range(max(map(len, dc))) for d in dc if i < len(d)]
    return interleaved + [e[i] for i in range(max(map(len, ec))) for e in ec if i < len(e)]


class _QRCode(qrcode.QRCode):
    """qrcode's symbol, the same modules, made faster (a QR code was 15-20 ms of an issued label):
    its mask chosen by :func:`mask_penalty` on arrays (the same choice, the first of the lowest
    penalties) for the eight masked symbols at once, its data bits placed with arrays (``map_data``),
    and its codewords made by :func:`_create_data` (qrcode's, with the bits in one integer and the
    error correction by plain long division)."""

    def best_fit(self, start=None):
        """qrcode's ``best_fit`` (the smallest version holding the data) counting the bits with :class:`_Bits`."""
        start = 1 if start is None else start
        util.check_version(start)
        mode_sizes = util.mode_sizes_for_version(start)
        bits = _Bits()
        for data in self.data_list:
            bits.put(data.mode, 4)
            bits.put(len(data), mode_sizes[data.mode])
            data.write(bits)
        self.version = bisect_left(util.BIT_LIMIT_TABLE[self.error_correction], len(bits), start)
        if self.version == 41:
            raise exceptions.DataOverflowError()
        if mode_sizes is not util.mode_sizes_for_version(self.version):
            self.best_fit(start=self.version)
        return self.version

    def makeImpl(self, test, mask_pattern):
        if self.data_cache is None:
            self.data_cache = _create_data(self.version, self.error_correction, self.data_list)
        super().makeImpl(test, mask_pattern)

    def best_mask_pattern(self):
        """The mask of the lowest :func:`mask_penalty`, the first of equals (qrcode's choice). The eight
        symbols qrcode makes to compare them (format information blank) differ only in their data
        modules: made from one, penalised at once."""
        self.makeImpl(True, 0)
        symbol = np.array(self.modules, dtype=bool)
        rows, cols = _DATA_ORDER[self.version]
        unmasked = symbol[rows, cols] ^ _MASKS[0](rows, cols)
        symbols = np.repeat(symbol[None], 8, axis=0)
        for pattern in range(8):
            symbols[pattern, rows, cols] = unmasked ^ _MASKS[pattern](rows, cols)
        return int(np.argmin(_penalties(symbols)))

    def map_data(self, data, mask_pattern):
        """qrcode's ``map_data`` on arrays: each data bit (most significant first, then light
        modules past the data) inverted where the mask is dark."""
        if self.version not in _DATA_ORDER:
            _DATA_ORDER[self.version] = _data_order(self.modules)
        rows, cols = _DATA_ORDER[self.version]
        bits = np.zeros(len(rows), dtype=bool)
        data_bits = np.unpackbits(np.asarray(data, dtype=np.uint8))[:len(rows)].astype(bool)
        bits[:len(data_bits)] = data_bits
        mask = _MASKS[mask_pattern](rows, cols)
        grid = np.array(self.modules, dtype=bool)  # None (a data module) as False
        grid[rows, cols] = bits ^ mask
        self.modules = grid.tolist()
