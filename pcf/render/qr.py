"""The label's QR code: the verification text it encodes and the code as one SVG path.

Shared by every label of the family (:mod:`.label`, :mod:`.label_compact`, :mod:`.declaration`)
and the report.
"""

from __future__ import annotations

import urllib.parse

import qrcode
import qrcode.exceptions

from pcf.core.errors import RenderError
from pcf.declaration import Declaration
from pcf.render import view

_QR_SAFE = " ./-_@:+()"  # characters kept as-is in QR fields; others are %-encoded

#: The data mask of every label's QR code (ISO/IEC 18004:2015 7.8.2, pattern 011: (i + j) mod 3 = 0).
#: Any of the eight masks makes a valid symbol (the format information tells a reader which one);
#: qrcode's default tries all eight and scores each (8 more encodings, ~25 ms of an issued label's
#: ~170 ms of CPU, issue 18 part 5), so pcf names one with qrcode's ``mask_pattern`` option.
MASK_PATTERN = 3


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
    """QR code of a text as one SVG path, error correction M, data mask :data:`MASK_PATTERN`
    (qrcode's symbol).

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

    Raises
    ------
    RenderError
        More text than a QR code holds (version 40, level M: 2,331 bytes).
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=MASK_PATTERN)
    qr.add_data(text)
    try:
        qr.make(fit=True)
    except (ValueError, qrcode.exceptions.DataOverflowError):  # beyond version 40 (2,331 bytes at level M)
        raise RenderError(f"the label's QR code cannot hold its {len(text.encode('utf-8'))} bytes of text "
                          "(at most 2,331): shorten the product id or the registry's verification URL") from None
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
