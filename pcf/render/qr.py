"""The label's QR code: the verification text it encodes and the code as one SVG path.

Shared by every label of the family (:mod:`.label`, :mod:`.label_compact`, :mod:`.declaration`)
and the report.
"""

from __future__ import annotations

import urllib.parse

import qrcode
import qrcode.image.svg

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
    """QR code of a text as one SVG path (qrcode's SvgPathImage), error correction M.

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
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image()
    image.to_string()  # builds image.path
    return {"d": image.path.get("d"), "modules": qr.modules_count}
