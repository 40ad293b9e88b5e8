"""Label types beyond the footprint label: the reduction label (减碳标识) and the low-carbon mark.

A **footprint label** states a product's carbon footprint (the default; its label document
has no ``claim``). A **reduction label** (``pcf issue NEW --claim reduction
--baseline-label NUMBER --measures FILE``) states, in addition, the reduction of the declared
figure per declared unit against an earlier label of the same product; its label document
carries ``claim`` (:func:`reduction_claim`). It is issued only when

- the baseline is an issued, verified footprint label (current, expired or superseded; not
  revoked, not suspended, not self-declared) of the same product line (product id), PCR (id and version), declared unit,
  boundary, method and declared total (:func:`pcf.declaration.comparison.check_comparable`);
- the product has at least :data:`MIN_FOOTPRINT_LABELS` issued footprint labels (not
  revoked, not self-declared: footprint certificates), the baseline among them;
- the reduction label itself is verified (a signed verification case), never self-declared;
- the new declared figure is lower than the baseline's;
- a reduction-measures report is given; the label keeps its SHA-256, name and size.

A reduction label is a label of another type than the footprint label: it does not
supersede the product's current footprint label, and the one-current-label rule applies
per label type (:func:`record_type`).

The **low-carbon mark** (``low_carbon`` in the label document, :func:`low_carbon_mark`)
is carried by a label whose declared figure per declared unit is below the limit its PCR
sets (``label.low_carbon_limit``, docs/pcr-format.md).

No carbon-neutral label is offered: Directive (EU) 2024/825, Art. 1 and Annex (point 4c
added to Annex I of Directive 2005/29/EC), bans claiming, based on the offsetting of
greenhouse gas emissions, that a product has a neutral, reduced or positive impact on the
environment in terms of greenhouse gas emissions (docs/registry.md).

References
----------
pcr-sources/NOTES.md 3b: the Chinese product carbon-label system has a CFP label, a
reduction / low-carbon label and a carbon-neutral label (Jiangsu Modern Low-carbon
Technology Institute Q&A, 2025) [S]; the application includes a reduction plan (降碳计划) [W].
The CQC reduction-label rule (at least two earlier footprint certificates of the product and
a report of the reduction measures) is as issue 15 quotes it; its text is not in
/work/shared, so no clause number is cited.
pcr-sources/NOTES.md 4: Carbon Trust "Reducing CO2": reduction by re-baselining two
footprints of similar definition and scope; offsets never count as a reduction [P].
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from pcf.core.errors import ComparisonRefused
from pcf.declaration import Declaration
from pcf.declaration.comparison import check_comparable, declared_per_declared_unit, reduction_row
from pcf.render import fmt

from .declaration import label_declaration, parse_document, parse_time
from .errors import IssueRefused, LabelNotFound
from .store import LabelRecord, Tx

FOOTPRINT, REDUCTION = "footprint", "reduction"
LABEL_TYPES = (FOOTPRINT, REDUCTION)
#: Issued footprint labels of the product a reduction label needs (the CQC rule, issue 15).
MIN_FOOTPRINT_LABELS = 2
#: Largest measures report kept by hash [bytes].
MAX_MEASURES_BYTES = 50 * 1024 * 1024

REDUCTION_SOURCE = ("CQC reduction label (减碳标识): at least two earlier footprint certificates of the product and a "
                    "reduction-measures report (issue 15); Carbon Trust 'Reducing CO2': re-baselining, offsets never "
                    "count (pcr-sources/NOTES.md 4)")
LOW_CARBON_TEXT = "低碳产品 Low-carbon product"
MINUS = "\u2212"


def label_type(declaration: dict) -> str:
    """``footprint`` or ``reduction``: the type of a label document (the ``declaration`` part)."""
    claim = declaration.get("claim")
    return claim["type"] if isinstance(claim, dict) else FOOTPRINT


def record_type(record: LabelRecord) -> str:
    """The label type of a registry row (from its signed document)."""
    try:
        return label_type(json.loads(record.document)["declaration"])
    except (ValueError, KeyError, TypeError):
        return FOOTPRINT


def self_declared(declaration: dict) -> bool:
    """True for a self-declared label (no signed verification case, issue 15 part 2)."""
    v = declaration.get("verification")
    return isinstance(v, dict) and v.get("kind") == "self-declared"


def _certified_footprint(record: LabelRecord) -> bool:
    """A footprint label issued after a third-party verification (not self-declared)."""
    try:
        declaration = json.loads(record.document)["declaration"]
    except (ValueError, KeyError, TypeError):
        return False
    return label_type(declaration) == FOOTPRINT and not self_declared(declaration)


def reduction_text(pct: float, baseline_number: str, year: int) -> str:
    """``减碳 Reduction −15.0 % vs label N (2026)``: what the label prints."""
    return f"减碳 Reduction {MINUS}{pct:.1f} % vs label {baseline_number} ({year})"


def read_measures(path: str | Path) -> dict:
    """The record of a reduction-measures report: ``{name, sha256, bytes}``.

    Raises
    ------
    IssueRefused
        Missing, unreadable, empty or larger than :data:`MAX_MEASURES_BYTES`.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise IssueRefused(f"{p}: the reduction-measures report cannot be read ({exc.strerror})").about("measures") \
            from None
    if not data:
        raise IssueRefused(f"{p}: the reduction-measures report is empty").about("measures")
    if len(data) > MAX_MEASURES_BYTES:
        raise IssueRefused(f"{p}: the reduction-measures report is larger than {MAX_MEASURES_BYTES} bytes").about(
            "measures")
    return {"name": p.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _baseline(tx: Tx, number: str, product_id: str) -> tuple[LabelRecord, dict]:
    """The baseline label's row and label document; refused unless it is an issued footprint
    label of the product in good standing."""
    record = tx.label(number)
    if record is None:
        raise LabelNotFound(f"baseline label {number} is not in the registry; check the number "
                            "(`pcf registry list`)").about("baseline_label")
    if record.status in ("revoked", "suspended"):
        raise IssueRefused(f"baseline label {number} is {record.status}: a reduction is stated against an issued "
                           "label in good standing (current, expired or superseded)").about("baseline_label")
    document = parse_document(record.document, f"registry label {number}")["declaration"]
    if label_type(document) != FOOTPRINT:
        raise IssueRefused(f"baseline label {number} is a {label_type(document)} label: the baseline of a reduction "
                           "is a footprint label").about("baseline_label")
    if self_declared(document):
        raise IssueRefused(f"baseline label {number} is self-declared: a reduction is stated against a verified "
                           "footprint label (a footprint certificate)").about("baseline_label")
    if record.product_id != product_id:
        raise IssueRefused(f"baseline label {number} is for product {record.product_id!r}, the result for "
                           f"{product_id!r}: a reduction is stated against a label of the same product "
                           "line").about("baseline_label")
    return record, document


def _footprint_labels(tx: Tx, product_id: str, now: datetime) -> list[str]:
    """Numbers of the product's issued, verified footprint labels (not revoked, not
    self-declared, issued by ``now``): its footprint certificates."""
    return [r.number for r in tx.labels()
            if r.product_id == product_id and r.status != "revoked" and parse_time(r.issued_at) <= now
            and _certified_footprint(r)]


def reduction_claim(tx: Tx, today: Declaration, baseline_number: str, measures: dict, now: datetime) -> dict:
    """The ``claim`` of a reduction label, checked inside the issuing transaction.

    Parameters
    ----------
    tx : Tx
        The write transaction that will insert the label.
    today : pcf.declaration.Declaration
        The new result under its PCR as it is today (:func:`pcf.registry.lifecycle.check_conformance`).
    baseline_number : str
        The earlier label the reduction is stated against.
    measures : dict
        :func:`read_measures` of the reduction-measures report.
    now : datetime
        Time of issue.

    Returns
    -------
    dict
        ``{type: "reduction", baseline {label_number, issued_at, year, declaration_sha256,
        per_declared_unit}, footprint_labels [numbers], per_declared_unit, reduction,
        reduction_pct, unit, text, measures {name, sha256, bytes}, source}``; figures
        [kg CO2e / declared unit], ``reduction_pct`` = 100 x (baseline - new) / baseline [%].

    Raises
    ------
    LabelNotFound
        No baseline label with that number.
    IssueRefused
        The baseline is revoked, suspended, not a footprint label, of another product, PCR
        (or version), declared unit, boundary, method or declared total, or self-declared;
        fewer than :data:`MIN_FOOTPRINT_LABELS` issued, verified (not self-declared) footprint
        labels of the product; no reduction.
    """
    product_id = today.result.product.id
    record, document = _baseline(tx, baseline_number, product_id)
    base = label_declaration(document)
    try:
        check_comparable(base, today)
    except ComparisonRefused as exc:
        raise IssueRefused(f"baseline label {baseline_number} and the result cannot be compared: {exc}").about(
            "baseline_label") from None
    earlier = _footprint_labels(tx, product_id, now)
    if len(earlier) < MIN_FOOTPRINT_LABELS:
        raise IssueRefused(
            f"a reduction label needs at least {MIN_FOOTPRINT_LABELS} issued footprint labels of product "
            f"{product_id!r} (the CQC rule for the reduction label); the registry holds {len(earlier)}"
            + (f" ({', '.join(earlier)})" if earlier else "") + ": issue the product's footprint labels first")
    declared = document["values"]["declared"]
    base_value = float(declared["per_declared_unit"]) if declared else declared_per_declared_unit(base)
    row = reduction_row("total", base_value, declared_per_declared_unit(today))
    unit = f"kg CO2e / {today.result.product.declared_unit.unit}"
    if not row["reduction"] or row["reduction"] < 0 or row["reduction_pct"] is None:
        raise IssueRefused(f"no reduction: {fmt.sig(row['product'])} {unit} against {fmt.sig(base_value)} {unit} "
                           f"on baseline label {baseline_number}; a reduction label states a lower footprint")
    year = parse_time(record.issued_at).year
    return {
        "type": REDUCTION,
        "baseline": {"label_number": record.number, "issued_at": record.issued_at, "year": year,
                     "declaration_sha256": record.declaration_sha256, "per_declared_unit": base_value},
        "footprint_labels": earlier,
        "per_declared_unit": row["product"], "reduction": row["reduction"], "reduction_pct": row["reduction_pct"],
        "unit": unit, "text": reduction_text(row["reduction_pct"], record.number, year),
        "measures": measures, "source": REDUCTION_SOURCE,
    }


def low_carbon_mark(today: Declaration, pcr) -> dict | None:
    """The low-carbon mark of a label, when its PCR sets a limit and the declared figure per
    declared unit is below it (strictly); else None.

    Returns
    -------
    dict or None
        ``{limit, unit, source, clause, illustrative, text}``; ``limit`` [kg CO2e / declared unit].
    """
    rules = getattr(pcr, "label", None)
    limit = getattr(rules, "low_carbon_limit", None) if rules is not None else None
    if limit is None or today.result.product.declared_unit is None:
        return None
    if not declared_per_declared_unit(today) < limit.value:
        return None
    return {"limit": float(limit.value), "unit": limit.unit, "source": limit.source, "clause": limit.clause,
            "illustrative": bool(limit.illustrative), "text": LOW_CARBON_TEXT}


def marks(declaration: dict) -> list[str]:
    """The lines a label and its statement print for its type and marks (reduction, low-carbon)."""
    out = []
    claim = declaration.get("claim")
    if isinstance(claim, dict) and claim.get("text"):
        out.append(claim["text"])
    low = declaration.get("low_carbon")
    if isinstance(low, dict):
        out.append(low["text"] + (" (示意性限值 illustrative limit)" if low.get("illustrative") else ""))
    return out


def claim_problems(labels: list[LabelRecord]) -> list[str]:
    """Reduction labels whose baseline is not an earlier label of the registry with the digest
    their claim names (``pcf registry check``); a signed claim cannot be altered, but an issuer
    key could sign one about a label that does not exist.
    """
    by_number = {label.number: label for label in labels}
    out = []
    for label in labels:
        try:
            claim = json.loads(label.document)["declaration"].get("claim")
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # an unreadable document is reported by the label check
        if not isinstance(claim, dict):
            continue
        base = claim.get("baseline") or {}
        old = by_number.get(base.get("label_number"))
        if old is None or old.seq >= label.seq:
            out.append(f"label {label.number}: its reduction claim names baseline {base.get('label_number')!r}, "
                       "not an earlier label of this registry")
        elif old.declaration_sha256 != base.get("declaration_sha256"):
            out.append(f"label {label.number}: its reduction claim names another declaration of baseline "
                       f"{old.number} (SHA-256 differs)")
    return out
