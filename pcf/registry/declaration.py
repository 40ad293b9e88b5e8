"""The label document a label certifies, its canonical form, signature and file.

"Declaration" names three things in pcf; here they are kept apart:

- the :class:`pcf.declaration.Declaration` (a footprint result, its PCR assessment and the
  figure it declares): what a label is issued *for*;
- the **label document** (``pcf-declaration/1``, the JSON key ``declaration`` of the signed
  file): the part of that declaration a label states, plus who issued it and for how long:
  product, values, performance class, PCR, method, background and model hashes, issuer and
  key, dates, label number (:func:`build_label_document`);
- the EU "carbon-footprint declaration" label variant (:mod:`pcf.render.declaration`).

The label document's canonical form is RFC 8785 JCS (:mod:`pcf.core.canonical`); its
digest is the SHA-256 of those bytes; the issuer signs those bytes with Ed25519.

The **signed label document** (file ``<number>.declaration.json``,
``pcf-signed-declaration/1``; file format and keys unchanged)::

    {"format": "pcf-signed-declaration/1",
     "declaration": {...},
     "declaration_sha256": "<hex SHA-256 of JCS(declaration)>",
     "signature": {"alg": "Ed25519", "key_id": "<32 hex>", "value": "<base64url, 64 bytes>"}}

Whitespace and key order of the file do not matter (verification re-canonicalises), but
parsing is strict: duplicate keys, unknown keys, NaN, non-canonical base64 and missing
fields are all rejected, so no changed byte can pass unnoticed.

References
----------
ISO 14026:2017, 5.4 and 7 (footprint communication: what a label must state and how it is
verified); ISO 14067:2018 7.3 (separate reporting of fossil, biogenic and dLUC GHG).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pcf
from pcf.core.codec import ABSENT, from_json, to_json
from pcf.declaration import Declaration
from pcf.declaration.accounting import AccountingRule, rule_for
from pcf.lca.biogenic import CO2_PER_C
from pcf.lca.result import (GHG_CATEGORIES, BiogenicCarbon, DeclaredUnit, FootprintResult, GhgSplit, Product,
                            Provenance, Quantity, Shares, Study, Totals, TotalsPerDeclaredUnit)
from pcf.pcr.assessment import Assessment, Grade, PcrRef
from pcf.render import fmt

from ..core.canonical import canonical_bytes
from ..core.vocabulary import GHG_DISPLAY
from .errors import NotADeclaration, RegistryError
from .keys import SigningKey, b64url, b64url_decode, public_from_raw, raw_public, verify_signature
from .numbers import parse_number

DECLARATION_FORMAT = "pcf-declaration/1"
SIGNED_FORMAT = "pcf-signed-declaration/1"

#: Longest validity a label may be given [days] (ten years).
MAX_VALID_DAYS = 3650


def utc_now() -> datetime:
    """The current time, UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC text of a time, to the second: ``2026-05-01T08:00:00Z``."""
    if moment.tzinfo is None:
        raise ValueError("a time without time zone is ambiguous; use UTC")
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time with a time zone (``Z`` or ``+hh:mm``); a bare date is midnight UTC.

    Raises
    ------
    ValueError
        When the text is not such a time.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a time")
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        if len(text.strip()) == 10:  # a date
            return moment.replace(tzinfo=timezone.utc)
        raise ValueError(f"{text!r} has no time zone; add Z for UTC")
    return moment.astimezone(timezone.utc)


def _or_none(value: Any) -> Any:
    """None for a field the assessment leaves out (:data:`pcf.core.codec.ABSENT`)."""
    return None if value is ABSENT else value


def headline(declaration: Declaration) -> dict:
    """The one figure a label states: the declared figure, per declared unit when the product
    has one, else per reference flow (:meth:`pcf.declaration.Declaration.declared_value`).

    Returns
    -------
    dict
        ``value`` [kg CO2e / declared unit or / reference flow], ``unit`` (e.g. ``kg CO2e /
        kWh``), ``text`` (3 significant figures, no thousands separator), ``basis`` (``per
        declared unit`` or ``per reference flow``).
    """
    result = declaration.result
    product = result.product
    per_du = product.declared_unit is not None
    if result.totals is not None:
        value = declaration.declared_value("declared_unit" if per_du else "reference_flow")
    else:  # a result without totals: its one total
        value = result.per_declared_unit_kg_co2e if per_du else result.total_kg_co2e
    if per_du:
        unit = f"kg CO2e / {product.declared_unit.unit}"
    elif float(product.reference_flow.amount) == 1.0:
        unit = f"kg CO2e / {product.reference_flow.unit}"
    else:
        unit = f"kg CO2e / {fmt.amount(product.reference_flow.amount)} {product.reference_flow.unit}"
    return {"value": float(value), "unit": unit, "text": fmt.sig(value, grouping=False),
            "basis": "per declared unit" if per_du else "per reference flow"}


def _declared(declaration: Declaration) -> dict | None:
    """The declared figure and its rule, as the label document states them."""
    if declaration.result.totals is None:
        return None
    rule = declaration.accounting
    return {"total": rule.declared_total, "dluc_included": rule.dluc_included,
            "kg_co2e": declaration.declared_value("reference_flow"),
            "per_declared_unit": declaration.declared_value("declared_unit"), "rule": rule.source}


def _performance_class(assessment: Assessment) -> dict | None:
    pc = assessment.performance_class
    if pc is None:
        return None
    thresholds = [] if pc.thresholds is ABSENT else [to_json(t) for t in pc.thresholds]
    return {"class": _or_none(pc.class_), "value": _or_none(pc.value), "unit": _or_none(pc.unit),
            "thresholds": thresholds, "source": _or_none(pc.source), "clause": _or_none(pc.clause),
            "illustrative": bool(_or_none(pc.illustrative))}


def _product(product) -> dict:
    du = product.declared_unit
    return {
        "id": product.id,
        "name": product.name,
        "reference_flow": {"amount": float(product.reference_flow.amount), "unit": str(product.reference_flow.unit)},
        "declared_unit": None if du is None else {"unit": str(du.unit), "description": du.description,
                                                  "per_reference_flow": float(du.per_reference_flow)},
    }


def _optional(result: FootprintResult, **given) -> dict:
    """The optional keys of a label document that have a value: those given, and the result's
    data ``reference_period`` (``{start, end}``, from ``exchange.reference_period``)."""
    period = result.exchange.reference_period
    given["reference_period"] = None if not period else {"start": str(period.get("start")),
                                                         "end": str(period.get("end"))}
    return {k: v for k, v in given.items() if v is not None}


def build_label_document(declaration: Declaration, *, number: str, key: SigningKey, issuer: str,
                         issued_at: datetime, valid_days: int, url: str | None = None,
                         renews: str | None = None, result_sha256: str | None = None,
                         low_carbon: dict | None = None, verification: dict | None = None,
                         supersedes: str | None = None, justification: str | None = None) -> dict:
    """The label document (``pcf-declaration/1``) of a conforming declaration, not yet signed.

    Parameters
    ----------
    declaration : pcf.declaration.Declaration
        The result under the PCR's accounting rule, with its (conforming) PCR assessment
        (:func:`pcf.registry.lifecycle.check_conformance`); masses [kg CO2e / reference flow].
        The figure the label states is its :meth:`~pcf.declaration.Declaration.declared_value`.
    number : str
        The label number (:mod:`pcf.registry.numbers`).
    key : SigningKey
        The issuer's key (its public half goes into the document).
    issuer : str
        Issuer name.
    issued_at : datetime
        Time of issue (UTC); the validity period starts then.
    valid_days : int
        Validity period [days]; ``valid_until = issued_at + valid_days`` (exclusive).
    url : str, optional
        Public verification page of the label.
    renews : str, optional
        The label number this one renews.
    result_sha256 : str, optional
        SHA-256 of the canonical result JSON; default that of ``declaration.to_json()`` (the
        result file as ``pcf footprint`` writes it).
    low_carbon : dict, optional
        The low-carbon mark (:func:`pcf.registry.labeltype.low_carbon_mark`); written as
        ``low_carbon`` only when given (documents without it read as before).
    verification : dict, optional
        Who verified the result (:func:`pcf.registry.cases.third_party`) or
        ``{"kind": "self-declared"}``; None leaves the key out (as labels issued before issue 15).
    supersedes, justification : str, optional
        The label this one replaces; why a renewal keeps data no newer than its old label's.
        They and ``reference_period`` (the result's ``exchange.reference_period``) are written
        only when they have a value (:func:`_optional`).

    Returns
    -------
    dict
        JSON-ready; see docs/registry.md for every field.

    Raises
    ------
    ValueError
        The declaration has no assessment.
    """
    result, assessment = declaration.result, declaration.assessment
    if assessment is None:
        raise ValueError("a label document needs the PCR assessment of the declaration")
    prov = result.provenance
    valid_until = issued_at + timedelta(days=valid_days)
    optional = _optional(result, low_carbon=low_carbon, verification=verification, supersedes=supersedes,
                         justification=justification)
    return {
        **optional,
        "format": DECLARATION_FORMAT,
        "label_number": number,
        "issuer": {"name": issuer, "key_id": key.key_id, "public_key": b64url(raw_public(key.public_key))},
        "issued_at": iso(issued_at),
        "valid_from": iso(issued_at),
        "valid_until": iso(valid_until),
        "renews": renews,
        "verification_url": url,
        "product": _product(result.product),
        "values": {
            "headline": headline(declaration),
            "total_kg_co2e": float(result.total_kg_co2e),
            "per_declared_unit_kg_co2e": (None if result.per_declared_unit_kg_co2e is None
                                          else float(result.per_declared_unit_kg_co2e)),
            "stages": {str(k): float(v) for k, v in result.stages.items()},
            "ghg": {str(k): float(v) for k, v in to_json(result.ghg).items()},
            "declared": _declared(declaration),
        },
        "performance_class": _performance_class(assessment),
        "pcr": {
            "id": assessment.pcr.id, "version": assessment.pcr.version, "title": assessment.pcr.title,
            "source": assessment.pcr.source,
            "conforms": bool(assessment.conforms),
            "observations": [f.rule for f in assessment.findings if f.severity == "observation"],
        },
        "study": {"standard": result.study.standard, "boundary": result.study.boundary},
        "method": {"id": result.method, "name": list(result.method_name)},
        "background": {
            "name": result.background,
            "version": prov.background_version,
            "sha256": prov.background_sha256,
            "databases": [{"database": d.get("database"), "sha256": d.get("sha256")} for d in prov.databases],
        },
        "model_sha256": result.model_sha256,
        "result_sha256": result_sha256 or hashlib.sha256(canonical_bytes(declaration.to_json())).hexdigest(),
        "result_created_at": result.created_at,
        "software": {"result": result.software_version, "issue": pcf.__version__},
    }


def digest(declaration: dict) -> str:
    """SHA-256 (hex) of the canonical form of a declaration."""
    return hashlib.sha256(canonical_bytes(declaration)).hexdigest()


def sign(declaration: dict, key: SigningKey) -> dict:
    """The signed declaration document: Ed25519 over the canonical bytes of the declaration.

    Raises
    ------
    RegistryError
        When the declaration has a value JSON cannot hold (NaN, infinity).
    """
    data = canonical_bytes(declaration)
    return {
        "format": SIGNED_FORMAT,
        "declaration": declaration,
        "declaration_sha256": hashlib.sha256(data).hexdigest(),
        "signature": {"alg": "Ed25519", "key_id": key.key_id, "value": b64url(key.sign(data))},
    }


def document_text(document: dict) -> str:
    """The signed declaration as the text of its file (indented JSON, UTF-8, newline at the end)."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _exact_keys(obj: object, keys: set[str], where: str) -> dict:
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be an object")
    if set(obj) != keys:
        extra, missing = sorted(set(obj) - keys), sorted(keys - set(obj))
        raise ValueError(f"{where}: " + "; ".join(
            ([f"unknown keys {extra}"] if extra else []) + ([f"missing keys {missing}"] if missing else [])))
    return obj


DECLARATION_KEYS = {"format", "label_number", "issuer", "issued_at", "valid_from", "valid_until", "renews",
                    "verification_url", "product", "values", "performance_class", "pcr", "study", "method",
                    "background", "model_sha256", "result_sha256", "result_created_at", "software"}
#: Keys only some label documents have: ``claim`` (a reduction label), ``low_carbon`` (the
#: low-carbon mark); see :mod:`pcf.registry.labeltype`; ``verification`` (who verified the
#: result, issue 15 part 2: :mod:`pcf.registry.cases`; labels issued before lack it).
OPTIONAL_KEYS = {"claim", "low_carbon", "verification"}
_CLAIM_KEYS = {"type", "baseline", "footprint_labels", "per_declared_unit", "reduction", "reduction_pct", "unit",
               "text", "measures", "source"}
_LOW_CARBON_KEYS = {"limit", "unit", "source", "clause", "illustrative", "text"}

#: ``declaration.verification``: exact keys per kind.
VERIFICATION_KEYS = {"third-party": {"kind", "case", "verifier", "key_id", "opinion", "signed_at", "case_sha256"},
                     "self-declared": {"kind"}}
#: Keys a label document has only when they have a value (issue 15 part 3): the label it
#: supersedes, the reference period of its data, a renewal's justification.
OPTIONAL_DECLARATION_KEYS = {"supersedes", "reference_period", "justification"}


def parse_document(data: bytes | str, where: str = "declaration") -> dict:
    """Parse and check the structure of a signed declaration (nothing cryptographic yet).

    Parameters
    ----------
    data : bytes or str
        The file's content.
    where : str
        Name for messages (the file path).

    Returns
    -------
    dict
        The document.

    Raises
    ------
    NotADeclaration
        Not UTF-8, not JSON, duplicate keys, NaN, or the structure of
        ``pcf-signed-declaration/1`` is not there (keys, types, label number, times,
        key id, base64url).
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        _exact_keys(doc, {"format", "declaration", "declaration_sha256", "signature"}, "document")
        if doc["format"] != SIGNED_FORMAT:
            raise ValueError(f"format is {doc['format']!r}, expected {SIGNED_FORMAT!r}")
        sig = _exact_keys(doc["signature"], {"alg", "key_id", "value"}, "signature")
        if sig["alg"] != "Ed25519":
            raise ValueError(f"signature algorithm {sig['alg']!r} is not Ed25519")
        raw = b64url_decode(sig["value"])
        if len(raw) != 64 or b64url(raw) != sig["value"]:
            raise ValueError("signature value is not the canonical base64url of 64 bytes")
        decl = doc["declaration"]
        if not isinstance(decl, dict):
            raise ValueError("declaration must be an object")
        _exact_keys(decl, DECLARATION_KEYS | ((OPTIONAL_KEYS | OPTIONAL_DECLARATION_KEYS) & set(decl)),
                    "declaration")
        if decl["format"] != DECLARATION_FORMAT:
            raise ValueError(f"declaration format is {decl['format']!r}, expected {DECLARATION_FORMAT!r}")
        parse_number(decl["label_number"])
        issuer = _exact_keys(decl["issuer"], {"name", "key_id", "public_key"}, "declaration.issuer")
        public = public_from_raw(issuer["public_key"])
        if b64url(raw_public(public)) != issuer["public_key"]:
            raise ValueError("issuer public key is not canonical base64url")
        if not (sig["key_id"] == issuer["key_id"]):
            raise ValueError("signature.key_id differs from declaration.issuer.key_id")
        for k in ("issued_at", "valid_from", "valid_until"):
            parse_time(decl[k])
        if parse_time(decl["valid_until"]) <= parse_time(decl["valid_from"]):
            raise ValueError("valid_until is not after valid_from")
        if not isinstance(doc["declaration_sha256"], str):
            raise ValueError("declaration_sha256 must be a string")
        _check_shape(decl)
    except NotADeclaration:
        raise
    except RecursionError:  # json's decoder on thousands of nested brackets
        raise NotADeclaration(f"{where}: not a valid signed declaration (nested too deeply)") from None
    except (UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise NotADeclaration(f"{where}: not a valid signed declaration ({exc})") from None
    except RegistryError as exc:  # from the key or number parsers
        raise NotADeclaration(f"{where}: not a valid signed declaration ({exc})") from None
    return doc


_SHAPE = {
    "product": {"id": str, "name": str, "reference_flow": dict, "declared_unit": (dict, type(None))},
    "values": {"headline": dict, "total_kg_co2e": (int, float), "per_declared_unit_kg_co2e": (int, float, type(None)),
               "stages": dict, "ghg": dict, "declared": (dict, type(None))},
    "pcr": {"id": str, "version": (str, type(None)), "title": (str, type(None)), "source": (str, type(None)),
            "conforms": bool, "observations": list},
    "study": {"standard": (str, type(None)), "boundary": (str, type(None))},
    "method": {"id": str, "name": list},
    "background": {"name": (str, type(None)), "version": (str, type(None)), "sha256": (str, type(None)),
                   "databases": list},
    "software": {"result": (str, type(None)), "issue": (str, type(None))},
}
_HEADLINE = {"value": (int, float), "unit": str, "text": str, "basis": str}


def _check_shape(decl: dict) -> None:
    """The nested fields every reader of a declaration relies on (exact keys and types)."""
    for name, fields in _SHAPE.items():
        part = _exact_keys(decl[name], set(fields), f"declaration.{name}")
        for key, kind in fields.items():
            if isinstance(part[key], bool) and kind is not bool:
                raise ValueError(f"declaration.{name}.{key} has the wrong type")
            if not isinstance(part[key], kind):
                raise ValueError(f"declaration.{name}.{key} has the wrong type")
    head = _exact_keys(decl["values"]["headline"], set(_HEADLINE), "declaration.values.headline")
    for key, kind in _HEADLINE.items():
        if isinstance(head[key], bool) or not isinstance(head[key], kind):
            raise ValueError(f"declaration.values.headline.{key} has the wrong type")
    pc = decl["performance_class"]
    if pc is not None:
        _exact_keys(pc, {"class", "value", "unit", "thresholds", "source", "clause", "illustrative"},
                    "declaration.performance_class")
        if not isinstance(pc["class"], (str, type(None))):
            raise ValueError("declaration.performance_class.class has the wrong type")
    for key in ("renews", "verification_url", "result_created_at"):
        if not isinstance(decl[key], (str, type(None))):
            raise ValueError(f"declaration.{key} must be text or null")
    if "supersedes" in decl:
        if not isinstance(decl["supersedes"], str):
            raise ValueError("declaration.supersedes must be a label number")
        parse_number(decl["supersedes"])
    if "justification" in decl and not isinstance(decl["justification"], str):
        raise ValueError("declaration.justification must be text")
    if "reference_period" in decl:
        period = _exact_keys(decl["reference_period"], {"start", "end"}, "declaration.reference_period")
        if not all(isinstance(v, str) for v in period.values()):
            raise ValueError("declaration.reference_period.start and .end must be text")
    for key in ("model_sha256", "result_sha256"):
        if not isinstance(decl[key], str):
            raise ValueError(f"declaration.{key} must be text")
    if not isinstance(decl["issuer"]["name"], str):
        raise ValueError("declaration.issuer.name must be text")
    _check_marks(decl)


def _check_marks(decl: dict) -> None:
    """The optional ``claim`` (reduction label) and ``low_carbon`` (mark) of a label document."""
    if "claim" in decl:
        claim = _exact_keys(decl["claim"], _CLAIM_KEYS, "declaration.claim")
        if claim["type"] != "reduction":
            raise ValueError(f"declaration.claim.type {claim['type']!r} is not a label type pcf issues")
        _exact_keys(claim["baseline"], {"label_number", "issued_at", "year", "declaration_sha256",
                                        "per_declared_unit"}, "declaration.claim.baseline")
        _exact_keys(claim["measures"], {"name", "sha256", "bytes"}, "declaration.claim.measures")
        for key in ("per_declared_unit", "reduction", "reduction_pct"):
            if isinstance(claim[key], bool) or not isinstance(claim[key], (int, float)):
                raise ValueError(f"declaration.claim.{key} must be a number")
        if not isinstance(claim["text"], str) or not isinstance(claim["footprint_labels"], list):
            raise ValueError("declaration.claim.text must be text and footprint_labels a list")
    if "low_carbon" in decl:
        low = _exact_keys(decl["low_carbon"], _LOW_CARBON_KEYS, "declaration.low_carbon")
        if isinstance(low["limit"], bool) or not isinstance(low["limit"], (int, float)) \
                or not isinstance(low["text"], str) or not isinstance(low["illustrative"], bool):
            raise ValueError("declaration.low_carbon has the wrong types")
    if "verification" in decl:
        v = decl["verification"]
        kind = v.get("kind") if isinstance(v, dict) else None
        if kind not in VERIFICATION_KEYS:
            raise ValueError("declaration.verification.kind must be third-party or self-declared")
        _exact_keys(v, VERIFICATION_KEYS[kind], "declaration.verification")
        if any(not isinstance(value, str) for value in v.values()):
            raise ValueError("declaration.verification values must be text")


def hash_matches(document: dict) -> bool:
    """True when ``declaration_sha256`` is the digest of the declaration's canonical form."""
    return digest(document["declaration"]) == document["declaration_sha256"]


def signature_valid(document: dict, public_key=None) -> bool:
    """True when the signature verifies over the canonical declaration.

    Parameters
    ----------
    document : dict
        A parsed signed declaration.
    public_key : Ed25519PublicKey, optional
        The key to check with; default the one the declaration names (which proves only
        that the file is intact, not who made it).
    """
    key = public_key or public_from_raw(document["declaration"]["issuer"]["public_key"])
    return verify_signature(key, b64url_decode(document["signature"]["value"]),
                            canonical_bytes(document["declaration"]))


def _total_declaring(value: float, dluc: float, dluc_included: bool) -> float:
    """The total from which a rule that leaves dLUC out (or not) declares exactly ``value``."""
    if dluc_included:
        return value
    total = value + dluc
    for _ in range(8):  # float rounding: step to the neighbour that gives back value exactly
        back = total - dluc
        if back == value:
            break
        total = math.nextafter(total, math.inf if back < value else -math.inf)
    return total


def label_declaration(document: dict) -> Declaration:
    """What a label document states, as a :class:`pcf.declaration.Declaration` for the label
    renderer.

    The issued label is drawn from the signed label document, not from the result file, so it
    shows exactly what was signed: product, totals, stages, GHG split, declared figure and its
    rule, PCR and performance class. Everything the document does not state is empty (no
    contributions, findings or parameters).

    Parameters
    ----------
    document : dict
        The ``declaration`` part of a parsed signed label document (:func:`parse_document`).

    Returns
    -------
    pcf.declaration.Declaration
        Its :meth:`~pcf.declaration.Declaration.declared_value` is the signed declared figure.
    """
    values, product, study = document["values"], document["product"], document.get("study") or {}
    ref, du = product["reference_flow"], product.get("declared_unit")
    per_ref = du["per_reference_flow"] if du else None
    ghg = GhgSplit(**{k: float(values["ghg"].get(k) or 0.0) for k in GHG_CATEGORIES + ("aircraft",)})
    total = float(values["total_kg_co2e"])
    declared = values.get("declared")
    if declared:
        rule = AccountingRule(declared_total=declared["total"], dluc_included=bool(declared["dluc_included"]),
                              description="", clause="", confidence="", source=declared.get("rule") or "")
        chosen = _total_declaring(float(declared["kg_co2e"]), ghg.dluc, rule.dluc_included)
        including = chosen if rule.declared_total == "including_biogenic" else total
        excluding = chosen  # the label document states only the declared one of the two
        shares = Shares(**{k: (getattr(ghg, k) / including if including else None)
                           for k in GHG_DISPLAY})
        totals = Totals(including_biogenic=including, excluding_biogenic=excluding, shares=shares,
                        per_declared_unit=None if not per_ref else TotalsPerDeclaredUnit(
                            including_biogenic=including / per_ref, excluding_biogenic=excluding / per_ref))
    else:
        rule, totals = rule_for(None, study.get("standard") or "ISO 14067:2018"), None
    background = document["background"]
    result = FootprintResult(
        product=Product(id=product["id"], name=product["name"],
                        reference_flow=Quantity(amount=ref["amount"], unit=ref["unit"]),
                        declared_unit=None if not du else DeclaredUnit(
                            unit=du["unit"], description=du.get("description") or "", per_reference_flow=per_ref)),
        study=Study(standard=study.get("standard"), boundary=study.get("boundary"), pcr=document["pcr"]["id"],
                    method=document["method"]["id"], background=background["name"]),
        parameters={}, total_kg_co2e=total, per_declared_unit_kg_co2e=values["per_declared_unit_kg_co2e"],
        stages=dict(values["stages"]), ghg=ghg,
        biogenic_carbon=BiogenicCarbon(co2_emissions_kg=0.0, co2_removals_kg=0.0, net_kg_co2e=0.0,
                                       content_product_kg_c=None, content_packaging_kg_c=None,
                                       content_product_kg_co2e=None, content_packaging_kg_co2e=None,
                                       content_co2_per_c=CO2_PER_C, content_source=None),
        contributions=(), cut_off=(), data_sources=(),
        method=document["method"]["id"], method_name=tuple(document["method"]["name"]),
        background=background["name"],
        provenance=Provenance(method_label="", method_source=(), method_description="",
                              background_database=background["name"] or "",
                              background_version=background.get("version"), background_sha256=background.get("sha256"),
                              background_activities=0, databases=tuple(background.get("databases") or ()),
                              brightway={}, bw2calc_score=None),
        software_version=(document.get("software") or {}).get("result"), model_sha256=document["model_sha256"],
        model_file="", created_at=document["issued_at"], totals=totals)
    pc = document.get("performance_class")
    grade = None if pc is None else from_json(Grade, {k: v for k, v in pc.items() if v is not None},
                                              "$.declaration.performance_class")
    pcr = document["pcr"]
    assessment = Assessment(pcr=PcrRef(id=pcr["id"], version=pcr.get("version"), title=pcr.get("title"),
                                       source=pcr.get("source")),
                            conforms=pcr["conforms"], findings=(), stages={}, performance_class=grade)
    return Declaration(result=result, accounting=rule, assessment=assessment)
