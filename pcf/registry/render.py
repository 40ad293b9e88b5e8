"""Files of an issued label: the signed declaration, the numbered label (SVG, PDF) and the
verification statement (PDF), all drawn from the signed declaration.

File names: ``<number>.declaration.json``, ``<number>.label.svg``, ``<number>.label.pdf``,
``<number>.statement.pdf``.
"""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup

from pcf.pcr.loader import shipped_rule
from pcf.render import fmt, output
from pcf.render.label import VARIANTS, label_pdf, variant_svg

from .declaration import document_text, label_declaration, parse_time
from .labeltype import marks


def _date(text: str) -> str:
    return parse_time(text).strftime("%Y-%m-%d")


def _last_day(valid_until: str) -> str:
    """The last day a label is valid (``valid_until`` is exclusive)."""
    return (parse_time(valid_until) - timedelta(seconds=1)).strftime("%Y-%m-%d")


def issued_context(document: dict, qr: str) -> dict:
    """The ``issued`` dict of :func:`pcf.render.label.label_context` for a signed declaration."""
    d = document["declaration"]
    return {"number": d["label_number"], "valid_from": _date(d["valid_from"]),
            "valid_until": _last_day(d["valid_until"]), "issuer": d["issuer"]["name"], "qr": qr,
            "marks": marks(d),
            "self_declared": (d.get("verification") or {}).get("kind") == "self-declared"}


def verification_context(d: dict) -> dict:
    """Who verified the result behind a label: ``kind`` (``third-party``, ``self-declared``, or
    ``none`` for labels issued before verification cases) and, for third-party, ``case``,
    ``verifier``, ``opinion`` (zh, en), ``signed_at``, ``case_sha256``."""
    v = d.get("verification")
    if v is None:
        return {"kind": "none"}
    if v["kind"] != "third-party":
        return {"kind": v["kind"]}
    opinion = {"reasonable": ("合理保证", "reasonable assurance"), "limited": ("有限保证", "limited assurance")}
    return {**v, "opinion": opinion.get(v["opinion"], (v["opinion"], v["opinion"]))}


def study_standard(d: dict) -> str:
    """The standard a signed declaration's study follows, as its label prints it
    (:func:`pcf.render.view.standard_text`): the one the shipped rule of its PCR id and version
    names (``standard:``, GB/T 24067-2024 under ``gbt-24067-generic``), else ``study.standard``
    (issue 20: the statement and the public page said ISO 14067:2018 under a China rule)."""
    rule = shipped_rule(str(d["pcr"].get("id")), str(d["pcr"].get("version")))
    if rule is not None and rule.standard:
        return rule.standard
    return d["study"].get("standard") or fmt.DASH


def statement_context(document: dict) -> dict:
    """What the verification statement shows, formatted."""
    d = document["declaration"]
    head = d["values"]["headline"]
    pc = d.get("performance_class") or {}
    du = d["product"].get("declared_unit")
    per_ref = None
    if du:
        ref = d["product"]["reference_flow"]
        total = label_declaration(d).declared_value("reference_flow")  # the signed declared figure
        per_ref = f"{fmt.sig(total)} kg CO2e / {fmt.amount(ref['amount'])} {ref['unit']}"
    pcr = d["pcr"]
    return {
        "number": d["label_number"],
        "product_name": d["product"]["name"], "product_id": d["product"]["id"],
        "value": fmt.sig(head["value"]), "unit": head["unit"], "basis": head["basis"], "per_ref": per_ref,
        "cls": pc.get("class") or "未分级 not graded", "illustrative": bool(pc.get("illustrative")),
        "pcr": f"{pcr.get('id')} v{pcr.get('version')}",
        "standard": study_standard(d), "boundary": d["study"].get("boundary") or fmt.DASH,
        "method": fmt.METHOD_NAMES.get(d["method"]["id"], d["method"]["id"]),
        "background": d["background"].get("version") or d["background"].get("name") or fmt.DASH,
        "background_sha256": d["background"].get("sha256") or fmt.DASH,
        "model_sha256": d["model_sha256"],
        "issuer": d["issuer"]["name"], "issued_at": d["issued_at"],
        "valid_from": _date(d["valid_from"]), "valid_until": _last_day(d["valid_until"]),
        "days": (parse_time(d["valid_until"]) - parse_time(d["valid_from"])).days,
        "renews": d.get("renews"), "supersedes": d.get("supersedes"), "justification": d.get("justification"),
        "reference_period": d.get("reference_period"),
        "marks": marks(d), "claim": d.get("claim"), "low_carbon": d.get("low_carbon"),
        "declaration_sha256": document["declaration_sha256"],
        "key_id": document["signature"]["key_id"], "signature": document["signature"]["value"],
        "url": d.get("verification_url"),
        "verification": verification_context(d),
    }


def statement_html(document: dict, label_svg: bytes, font: str) -> str:
    """The verification statement of a signed declaration as HTML (``statement.html.j2``), showing
    its label (SVG bytes, by :func:`pcf.render.output.svg_url`: make the PDF with
    ``html_to_pdf(svgs=[label])``) in the CJK font family ``font``."""
    return output.render_template(output.environment(), "statement.html.j2", S=statement_context(document),
                                  label=Markup(label_svg.decode("utf-8")), font=font)


def issued_files(document: dict, qr: str) -> dict[str, bytes]:
    """Render every file of an issued label; writes nothing.

    Parameters
    ----------
    document : dict
        The signed declaration.
    qr : str
        Text of the QR code: the verification URL or the signed token.

    Returns
    -------
    dict of str to bytes
        File name -> content.

    Raises
    ------
    RenderError
        No CJK font, a missing template, or a WeasyPrint failure.
    """
    number = document["declaration"]["label_number"]
    declaration = label_declaration(document["declaration"])
    issued = issued_context(document, qr)
    font, env, svg, mm = variant_svg(declaration, "graded", font=output.cjk_font(), issued=issued)
    images: dict = {}  # the label's SVG, read once for its statement and its PDF
    # The statement first: it shows the label, so its glyphs are a superset of the label PDF's, and a
    # process's first label makes one font subset a face (pcf.render.weasyfast) instead of two.
    statement = output.html_to_pdf(statement_html(document, svg.encode("utf-8"), font), output.template_folder(env),
                                   kept_style=True, images=images, svgs=[svg])
    return {
        f"{number}.declaration.json": document_text(document).encode("utf-8"),
        f"{number}.label.svg": svg.encode("utf-8"),
        f"{number}.label.pdf": label_pdf(env, svg, mm, font, f"{number} {VARIANTS['graded'][1]}", images),
        f"{number}.statement.pdf": statement,
    }
