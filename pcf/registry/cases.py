"""Verification cases: a verifier checks a result before a label can be issued for it (issue 15).

A **case** is opened for one result file, named by its SHA-256 (the RFC 8785 form of the
result JSON, the ``result_sha256`` the label declaration carries), and assigned to a verifier
(the name a verifier key is registered under). Its **checklist** is fixed when it is opened:

- the PCR's declaration and report items (``declaration.ITEM``, ``report.ITEM``; the PCR's
  ``declaration:`` and ``report:`` sections, with what pcf found in the result);
- the PCR assessment pcf made (``pcr.assessment``) and the reproducibility of the result
  (``pcf.reproduce``);
- the verification points of ISO 14064-3:2019 and ISO 14067:2018 (:data:`STANDARD_POINTS`).

The verifier **records** each item as ``ok`` or ``finding`` with a note and optionally an
evidence file (kept in the registry by its SHA-256, once per content). Records are
append-only; the latest record of an item counts, so a finding is closed by recording the
item again as ``ok`` with how it was resolved (the finding stays in the history).

**Signing** closes the case: refused while an item has no record or its latest record is a
finding. The verifier's key (registered under the case's verifier name, current, and a
verifier key once keys carry roles) signs the verification document
(``pcf-verification/1``: case, result hash, product, PCR, verifier, opinion, every item's
latest status, note and evidence hash) with Ed25519 over its RFC 8785 form, so the records
cannot change afterwards unnoticed. ``pcf issue`` then needs a signed case for the same
result hash, and refuses the key that signed it and any key of the same holder (four eyes).

Events: ``case-opened``, ``case-recorded``, ``case-signed`` (:mod:`pcf.registry.chain`).

References
----------
ISO 14064-3:2019 Greenhouse gases — Part 3: Specification with guidance for the verification
and validation of greenhouse gas statements (clause numbers from its table of contents, as
published in the identical adoption AS ISO 14064.3:2024); ISO 14067:2018 (clause numbers as
pcf cites them elsewhere; see :data:`STANDARD_POINTS`); ISO 14065:2020 / ISO/IEC 17029:2019
(the bodies that verify).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pcf.declaration import Declaration

from ..core.canonical import canonical_bytes
from .chain import append_event, register_kind
from .declaration import iso, utc_now
from .errors import CaseNotFound, CaseRefused, IssueRefused, RegistryError
from .keys import SigningKey, b64url, b64url_decode, check_issuer, public_from_raw, raw_public, verify_signature
from .roles import require_key
from .store import CaseRecord, ItemRecord, Store, Tx

VERIFICATION_FORMAT = "pcf-verification/1"

# who signs the case events (pcf.registry.chain): an admin assigns a case, or a verifier opens
# their own; only the case's verifier records and signs (checked here and in registry check)
register_kind("case-opened", ("admin", "verifier"))
register_kind("case-recorded", ("verifier",))
register_kind("case-signed", ("verifier",))
OPINIONS = ("reasonable", "limited")
ITEM_STATUSES = ("ok", "finding")

#: Largest evidence file kept in the registry [bytes].
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
MAX_NOTE = 4000

_C14064 = "ISO 14064-3:2019 "
_C14067 = "ISO 14067:2018 "

#: Verification points every case has, whatever the PCR: (id, zh, en, clause). ISO 14064-3:2019
#: clause numbers are those of its published table of contents; ISO 14067:2018 numbers are the
#: ones pcf cites elsewhere (6.3.4.3 cut-off, 6.4.5 uncertainty, 6.4.6 allocation, 6.4.9.4
#: electricity, 7.3 report, 8 critical review); 6.3.5 (data quality) is from the 2018 table of
#: contents as remembered, not checked against the text.
STANDARD_POINTS: tuple[tuple[str, str, str, str], ...] = (
    ("iso14064-3.4.2", "核查员与该研究无利益关系（公正性）",
     "the verifier took no part in the study and has no conflict of interest (impartiality)",
     _C14064 + "4.2 (impartiality); ISO 14065:2020"),
    ("iso14064-3.5.1.3", "已商定保证等级（合理或有限）",
     "the level of assurance (reasonable or limited) is agreed", _C14064 + "5.1.3"),
    ("iso14064-3.5.1.5", "核查准则：产品类别规则与 ISO 14067",
     "the criteria are the PCR and ISO 14067 (and GB/T 24067 where it applies)", _C14064 + "5.1.5"),
    ("iso14064-3.5.1.6", "核查范围：产品、声明单位、边界、数据时间段",
     "the scope is set: product, declared unit, system boundary, data reference period", _C14064 + "5.1.6"),
    ("iso14064-3.5.1.7", "已设定并应用实质性阈值",
     "a materiality threshold is set and applied", _C14064 + "5.1.7"),
    ("iso14064-3.6.1.1", "已对产品温室气体声明进行战略分析",
     "strategic analysis of the product GHG statement done", _C14064 + "6.1.1.3"),
    ("iso14064-3.6.1.2", "已评估错报风险",
     "risk assessment of misstatement in the product GHG statement done", _C14064 + "6.1.2.6"),
    ("iso14064-3.5.4.2", "证据充分：活动数据可追溯至记录（物料清单、能源计量、采购）",
     "sufficient evidence: activity data trace to records (bill of materials, metered energy, purchases)",
     _C14064 + "5.4.2"),
    ("iso14064-3.5.4.3", "未发现故意错报", "no intentional misstatement found", _C14064 + "5.4.3"),
    ("iso14064-3.5.4.4", "形成文件的信息已保存（证据）",
     "documented information kept (the evidence recorded in this case)", _C14064 + "5.4.4"),
    ("iso14067.6.3.4", "系统边界与取舍准则符合规则",
     "system boundary and cut-off criteria as the rules ask", _C14067 + "6.3.4, 6.3.4.3"),
    ("iso14067.6.3.5", "数据质量：背景数据集与实际供应链（地区、技术、年份）相符",
     "data quality: background datasets fit the actual supply chain (region, technology, year)",
     _C14067 + "6.3.5 (number not checked against the text)"),
    ("iso14067.6.4.6", "分配程序恰当", "allocation procedures appropriate", _C14067 + "6.4.6"),
    ("iso14067.6.4.9.4", "电力建模符合要求", "electricity modelled as required", _C14067 + "6.4.9.4"),
    ("iso14067.6.4.5", "不确定性与敏感性已评估", "uncertainty and sensitivity assessed", _C14067 + "6.4.5"),
    ("iso14067.7", "碳足迹研究报告完整", "the CFP study report is complete", _C14067 + "7, 7.3"),
    ("iso14067.8", "研究已经鉴定性评审或本次核查涵盖之",
     "the CFP study was critically reviewed, or this verification covers it", _C14067 + "8"),
)


@dataclass
class CaseView:
    """A case with its checklist and the latest record of each item.

    Attributes
    ----------
    case : CaseRecord
    items : list of dict
        Checklist items: ``id``, ``zh``, ``en``, ``clause``, ``source`` (``pcr``, ``ISO 14064-3``,
        ``ISO 14067``, ``pcf``), ``pcf`` (what pcf found, or None), and ``status`` / ``note`` /
        ``evidence_sha256`` / ``recorded_at`` of its latest record (None when unrecorded).
    records : list of ItemRecord
        Every record, oldest first.
    """

    case: CaseRecord
    items: list[dict]
    records: list[ItemRecord]

    @property
    def unrecorded(self) -> list[str]:
        return [i["id"] for i in self.items if i["status"] is None]

    @property
    def open_findings(self) -> list[str]:
        return [i["id"] for i in self.items if i["status"] == "finding"]


def result_sha256(declaration: Declaration) -> str:
    """SHA-256 (hex) of the canonical JSON (RFC 8785) of a result as ``pcf footprint`` wrote it."""
    return hashlib.sha256(canonical_bytes(declaration.to_json())).hexdigest()


def _pcr_items(today: Declaration) -> list[dict]:
    """The PCR's declaration and report items, with what pcf found in the result."""
    items: list[dict] = []
    a = today.assessment
    for part, rows in (("declaration", a.contents.declaration), ("report", a.contents.report)):
        seen: dict[str, int] = {}
        for row in rows or ():
            seen[row.item] = seen.get(row.item, 0) + 1
            ident = f"{part}.{row.item}" + (f".{seen[row.item]}" if row.item == "other" else "")
            found = row.status + (f": {row.found}" if row.found else "")
            items.append({"id": ident, "zh": row.zh, "en": row.text or row.en, "clause": row.clause,
                          "source": f"pcr {part}", "pcf": found})
    pcr = f"{a.pcr.id} v{a.pcr.version}"
    observations = [f.rule for f in a.findings if f.severity == "observation"]
    items.append({"id": "pcr.assessment", "zh": "产品类别规则符合性评估已复核",
                  "en": f"pcf's assessment against PCR {pcr} reviewed (conforms; observations: "
                        f"{', '.join(observations) or 'none'})",
                  "clause": a.pcr.source or pcr, "source": "pcr", "pcf": "conforms"})
    items.append({"id": "pcf.reproduce", "zh": "结果可由模型文件（SHA-256）与背景数据库复现",
                  "en": "the result reproduces from the model file (SHA-256) and the background database "
                        "(`pcf recompute`)", "clause": _C14064 + "5.4.2", "source": "pcf",
                  "pcf": f"model sha256 {today.result.model_sha256}"})
    return items


def checklist(today: Declaration) -> list[dict]:
    """The checklist of a case for a conforming result (module docstring).

    Parameters
    ----------
    today : Declaration
        The result under its PCR as it is today (:func:`pcf.registry.lifecycle.check_conformance`).

    Returns
    -------
    list of dict
        ``id``, ``zh``, ``en``, ``clause``, ``source``, ``pcf``.
    """
    items = _pcr_items(today)
    for ident, zh, en, clause in STANDARD_POINTS:
        items.append({"id": ident, "zh": zh, "en": en, "clause": clause,
                      "source": "ISO 14064-3" if ident.startswith("iso14064") else "ISO 14067", "pcf": None})
    return items


def _case_number(seq: int) -> str:
    return f"VC-{seq:06d}"


def open_case(store: Store, declaration: Declaration, today: Declaration, verifier: str, key: SigningKey, *,
              now: datetime | None = None) -> CaseView:
    """Open a verification case for a result.

    Parameters
    ----------
    declaration : Declaration
        The result file as read (:func:`pcf.declaration.read_declaration`); the case is for its hash.
    today : Declaration
        The same result under its PCR today, conforming
        (:func:`pcf.registry.lifecycle.check_conformance`; a label could not be issued otherwise).
    verifier : str
        The verifier: the name their current verifier key is registered under.
    key : SigningKey
        Who opens it and signs the ``case-opened`` event: an admin key (assigning the case), or
        the verifier's own key.

    Returns
    -------
    CaseView

    Raises
    ------
    CaseRefused
        A bad verifier name, no current verifier key under it, or a key that is neither an
        admin key nor the verifier's.
    """
    try:
        check_issuer(verifier)
    except RegistryError as exc:
        raise CaseRefused(str(exc).replace("issuer name", "verifier name")).about("verifier") from None
    items = checklist(today)
    moment = (now or utc_now()).replace(microsecond=0)
    at = iso(moment)
    a = today.assessment
    with store.write() as tx:
        opener = require_key(tx, key, ("admin", "verifier"), moment, "open a verification case", error=CaseRefused)
        if opener.role == "verifier" and opener.issuer != verifier:
            raise CaseRefused(f"key {key.key_id} belongs to verifier {opener.issuer}: a verifier opens cases for "
                              f"themselves; an admin key assigns a case to {verifier}")
        if not any(k.role == "verifier" and k.retired_at is None for k in tx.keys(verifier)):
            raise CaseRefused(f"{verifier} has no current verifier key in the registry: admit one with `pcf keys new "
                              f"--issuer {verifier} --role verifier --root-key ROOT.key`").about("verifier")
        seq = tx.next_case_seq()
        case = CaseRecord(number=_case_number(seq), seq=seq, result_sha256=result_sha256(declaration),
                          product_id=declaration.result.product.id, product_name=declaration.result.product.name,
                          pcr=f"{a.pcr.id} v{a.pcr.version}", verifier=verifier, opened_at=at,
                          checklist=json.dumps(items, ensure_ascii=False))
        tx.insert_case(case)
        append_event(tx, "case-opened", None, {
            "case": case.number, "result_sha256": case.result_sha256, "product_id": case.product_id,
            "pcr": case.pcr, "verifier": verifier,
            "checklist_sha256": hashlib.sha256(canonical_bytes(items)).hexdigest()}, at, key)
        return _view(tx, case)


def _view(tx: Tx, case: CaseRecord) -> CaseView:
    records = tx.item_records(case.number)
    latest = {r.item: r for r in records}
    items = []
    for item in json.loads(case.checklist):
        r = latest.get(item["id"])
        items.append({**item, "status": r.status if r else None, "note": r.note if r else None,
                      "evidence_sha256": r.evidence_sha256 if r else None,
                      "evidence_name": r.evidence_name if r else None, "recorded_at": r.recorded_at if r else None})
    return CaseView(case, items, records)


def _get(tx: Tx, number: str) -> CaseRecord:
    case = tx.case(number)
    if case is None:
        raise CaseNotFound(f"no verification case {number!r} in the registry (cases are numbered VC-000001, ...)")
    return case


def show_case(store: Store, number: str) -> CaseView:
    """A case, its checklist and records (``pcf verification checklist``).

    Raises
    ------
    CaseNotFound
    """
    with store.read() as tx:
        return _view(tx, _get(tx, number))


def _evidence(path: str | Path) -> tuple[bytes, str]:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_EVIDENCE_BYTES:
            raise CaseRefused(f"{p}: evidence file of {size} bytes is larger than {MAX_EVIDENCE_BYTES} bytes; "
                              "record a summary and keep the file elsewhere, named by its SHA-256").about("evidence")
        return p.read_bytes(), p.name
    except IsADirectoryError:
        raise CaseRefused(f"{p}: is a folder; give one evidence file (e.g. a zip)").about("evidence") from None
    except OSError as exc:
        raise CaseRefused(f"{p}: cannot read the evidence file ({exc.strerror})").about("evidence") from None


def record_item(store: Store, number: str, item: str, status: str, note: str,
                evidence: str | Path | None = None, *, key: SigningKey, now: datetime | None = None) -> CaseView:
    """Record one checklist item of an open case: ``ok`` or ``finding``, a note, optional evidence.

    The evidence file is kept in the registry (table ``evidence``) by its SHA-256; the record
    names that hash and the file's name. ``key``: the case's verifier's key, which signs the
    ``case-recorded`` event.

    Raises
    ------
    CaseNotFound
    CaseRefused
        A signed case, an item not on the checklist, a bad status, an empty or too long
        note, an unreadable or too large evidence file, a key that is not the case's verifier's.
    """
    if status not in ITEM_STATUSES:
        raise CaseRefused(f"status {status!r}: give ok or finding").about("status")
    if not isinstance(note, str) or not note.strip():
        raise CaseRefused("give a note: what was checked and against which evidence").about("note")
    if len(note) > MAX_NOTE:
        raise CaseRefused(f"the note is longer than {MAX_NOTE} characters; put the detail in an evidence "
                          "file").about("note")
    content, name = _evidence(evidence) if evidence is not None else (None, None)
    digest = hashlib.sha256(content).hexdigest() if content is not None else None
    moment = (now or utc_now()).replace(microsecond=0)
    at = iso(moment)
    with store.write() as tx:
        case = _get(tx, number)
        if case.status != "open":
            raise CaseRefused(f"case {number} was signed on {case.signed_at}; it cannot change (open a new case "
                              "for the result)")
        _verifier_key(tx, key, case, moment, "record items of a verification case")
        ids = [i["id"] for i in json.loads(case.checklist)]
        if item not in ids:
            raise CaseRefused(f"case {number} has no item {item!r}; its items are: {', '.join(ids)}")
        if content is not None:
            tx.add_evidence(digest, content, at)
        seq = len(tx.item_records(number)) + 1
        tx.add_item_record(ItemRecord(case_number=number, seq=seq, item=item, status=status, note=note.strip(),
                                      recorded_at=at, evidence_sha256=digest, evidence_name=name))
        append_event(tx, "case-recorded", None, {"case": number, "seq": seq, "item": item, "status": status,
                                                 "note": note.strip(), "evidence_sha256": digest}, at, key)
        return _view(tx, case)


def _verifier_key(tx: Tx, key: SigningKey, case: CaseRecord, now: datetime,
                  act: str = "sign a verification case") -> None:
    """The key must be a registered, current verifier key (:func:`pcf.registry.roles.require_key`)
    registered under the case's verifier name."""
    record = require_key(tx, key, ("verifier",), now, act, error=CaseRefused)
    if record.issuer != case.verifier:
        raise CaseRefused(f"case {case.number} is assigned to verifier {case.verifier}; key {key.key_id} belongs to "
                          f"{record.issuer}")


def verification_document(view: CaseView, key: SigningKey, opinion: str, signed_at: str) -> dict:
    """The ``pcf-verification/1`` document a verifier signs (not yet signed)."""
    c = view.case
    return {
        "format": VERIFICATION_FORMAT, "case": c.number, "result_sha256": c.result_sha256,
        "product": {"id": c.product_id, "name": c.product_name}, "pcr": c.pcr,
        "verifier": {"name": c.verifier, "key_id": key.key_id, "public_key": b64url(raw_public(key.public_key))},
        "opinion": opinion, "opened_at": c.opened_at, "signed_at": signed_at,
        "items": [{"id": i["id"], "clause": i["clause"], "status": i["status"], "note": i["note"],
                   "evidence_sha256": i["evidence_sha256"]} for i in view.items],
    }


def sign_case(store: Store, number: str, key: SigningKey, opinion: str, *, now: datetime | None = None) -> CaseView:
    """Sign and close a case with the verifier's key and opinion.

    Parameters
    ----------
    opinion : {"reasonable", "limited"}
        The level of assurance of the opinion (ISO 14064-3:2019 5.1.3).

    Returns
    -------
    CaseView

    Raises
    ------
    CaseNotFound
    CaseRefused
        Bad opinion; the case is signed already; an item is unrecorded or its latest record
        is a finding; the key is not registered, not current, not a verifier key, or not the
        case's verifier's.
    """
    if opinion not in OPINIONS:
        raise CaseRefused(f"opinion {opinion!r}: give reasonable or limited (level of assurance, ISO 14064-3:2019 "
                          "5.1.3)").about("opinion")
    moment = (now or utc_now()).replace(microsecond=0)
    at = iso(moment)
    with store.write() as tx:
        case = _get(tx, number)
        if case.status != "open":
            raise CaseRefused(f"case {number} was signed already on {case.signed_at}")
        view = _view(tx, case)
        if view.unrecorded:
            raise CaseRefused(f"case {number}: {len(view.unrecorded)} items are not recorded yet: "
                              f"{', '.join(view.unrecorded)} (`pcf verification record`)")
        if view.open_findings:
            raise CaseRefused(f"case {number}: findings are open on {', '.join(view.open_findings)}; record the item "
                              "again with --status ok and how it was resolved, or leave the case unsigned")
        _verifier_key(tx, key, case, moment)
        document = verification_document(view, key, opinion, at)
        data = canonical_bytes(document)
        signed = {"format": "pcf-signed-verification/1", "verification": document,
                  "verification_sha256": hashlib.sha256(data).hexdigest(),
                  "signature": {"alg": "Ed25519", "key_id": key.key_id, "value": b64url(key.sign(data))}}
        case.signed_at, case.key_id, case.opinion = at, key.key_id, opinion
        case.case_sha256 = signed["verification_sha256"]
        case.document = json.dumps(signed, ensure_ascii=False, sort_keys=True)
        tx.sign_case(case)
        case.status = "signed"
        append_event(tx, "case-signed", None, {"case": number, "key_id": key.key_id, "opinion": opinion,
                                               "case_sha256": case.case_sha256}, at, key)
        return _view(tx, case)


def case_problems(case: CaseRecord, keys: dict) -> list[str]:
    """Problems of a stored case's signature (``pcf registry check``); ``keys``: key id -> KeyRecord."""
    if case.status != "signed":
        return []
    try:
        signed = json.loads(case.document or "")
        document = signed["verification"]
        data = canonical_bytes(document)
        key = keys.get(signed["signature"]["key_id"])
        ok_sig = key is not None and verify_signature(public_from_raw(key.public_key),
                                                      b64url_decode(signed["signature"]["value"]), data)
    except (ValueError, KeyError, TypeError) as exc:
        return [f"case {case.number}: its signed verification does not parse ({exc})"]
    out = []
    if hashlib.sha256(data).hexdigest() != case.case_sha256 or signed.get("verification_sha256") != case.case_sha256:
        out.append(f"case {case.number}: verification does not match its SHA-256 (altered)")
    if not ok_sig:
        out.append(f"case {case.number}: signature does not verify under a key the registry holds")
    if (document.get("case"), document.get("result_sha256"), document.get("opinion"),
            document.get("verifier", {}).get("key_id")) != (case.number, case.result_sha256, case.opinion, case.key_id):
        out.append(f"case {case.number}: table columns differ from the signed verification")
    return out


def label_case_problem(declaration: dict, case: CaseRecord | None, keys: dict) -> str | None:
    """Why a label declaration's ``verification`` is not backed by the registry (None when it is,
    or when the label states no third-party verification).

    A third-party verification must name a signed case of the registry for the label's own
    result hash, with the case hash, verifier, key and opinion the declaration states, and the
    case's signature must verify (:func:`case_problems`; ``keys``: key id -> KeyRecord).
    """
    v = declaration.get("verification")
    if not isinstance(v, dict) or v.get("kind") != "third-party":
        return None
    if case is None:
        return f"names verification case {v.get('case')}, which the registry does not hold"
    if case.status != "signed":
        return f"names verification case {case.number}, which is not signed"
    stated = (v.get("case_sha256"), v.get("verifier"), v.get("key_id"), v.get("opinion"),
              declaration.get("result_sha256"))
    if stated != (case.case_sha256, case.verifier, case.key_id, case.opinion, case.result_sha256):
        return f"differs from verification case {case.number} (hash, verifier, key, opinion or result)"
    problems = case_problems(case, keys)
    return problems[0] if problems else None


def verification_standing(tx: Tx, declaration: dict) -> tuple[str, str]:
    """``(state, message)`` of the ``verification`` check of :func:`pcf.registry.verify`:
    ``ok`` for a backed third-party case, a self-declared label or a label issued before cases
    (saying which), ``fail`` when the named case is missing, unsigned or differs."""
    v = declaration.get("verification")
    if v is None:
        return "ok", "no verification case recorded (a label issued before verification cases)"
    if v.get("kind") == "self-declared":
        return "ok", "self-declared: not verified by a third party"
    case = tx.case(v.get("case")) if isinstance(v.get("case"), str) else None
    problem = label_case_problem(declaration, case, {k.key_id: k for k in tx.keys()})
    if problem is not None:
        return "fail", f"the label {problem}"
    return "ok", f"verified by {case.verifier} ({case.opinion} assurance), case {case.number} signed {case.signed_at}"


def signed_case_for(tx: Tx, result_hash: str, key: SigningKey, issuer: str) -> dict:
    """The ``verification`` part of a label declaration: the newest signed case for the result,
    checked for four eyes against the issuing key.

    Raises
    ------
    IssueRefused
        No signed case for the result hash; or the issuing key signed the case, or belongs to
        the case's verifier (four eyes).
    """
    signed = [c for c in tx.cases(result_hash) if c.status == "signed"]
    if not signed:
        opened = [c.number for c in tx.cases(result_hash)]
        hint = (f" (case {', '.join(opened)} is open: record every item and have the verifier sign it)"
                if opened else " (`pcf verification open RESULT --verifier NAME`, record, sign)")
        raise IssueRefused(f"no signed verification case for this result (sha256 {result_hash[:16]}...): a label "
                           f"is issued only after a verifier signed a case for the same result{hint}; or issue it "
                           "as a self-declared label")
    case = signed[-1]
    if key.key_id == case.key_id or issuer == case.verifier:
        raise IssueRefused(f"four eyes: key {key.key_id} ({issuer}) "
                           + ("signed" if key.key_id == case.key_id else "belongs to the verifier of")
                           + f" verification case {case.number}; the label must be issued by another person's "
                             "issuer key")
    return third_party(case)


def third_party(case: CaseRecord) -> dict:
    """The ``verification`` part of a label declaration for a signed case."""
    return {"kind": "third-party", "case": case.number, "verifier": case.verifier, "key_id": case.key_id,
            "opinion": case.opinion, "signed_at": case.signed_at, "case_sha256": case.case_sha256}


SELF_DECLARED = {"kind": "self-declared"}
