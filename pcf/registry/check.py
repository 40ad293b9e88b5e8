"""``pcf registry check``: the whole registry against its event log.

1. the database file (SQLite ``integrity_check`` and foreign keys);
2. the event chain (:func:`pcf.registry.chain.verify_chain`);
3. every event's signature and signer (:mod:`pcf.registry.replay`): event 1 sets the root
   key; keys are admitted and retired by the root key; each event is signed by a current
   key whose role may sign it;
4. the tables against a replay of the signed log: every key (with its role), label, status,
   renewal link and setting must be what the counted events say (an edit of a table
   without a matching signed event, or an event with no effect, is reported);
5. every label: its signed declaration parses, matches its hash and signature under the
   key the registry holds, names its own number, and the numbers run 1, 2, 3, ... without
   a gap;
6. verification cases (issue 15): every case and item record is what the ``case-*`` events
   say (recorded and signed by the case's verifier), and every signed case's verification
   matches its hash and signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .cases import case_problems, label_case_problem
from .chain import verify_chain
from .replay import replay
from .declaration import digest, parse_document, parse_time, signature_valid
from .errors import NotADeclaration, RegistryError
from .keys import public_from_raw
from .labeltype import claim_problems
from .numbers import parse_number
from .store import Store, label_scope


@dataclass
class RegistryCheck:
    """Result of :func:`check_registry`.

    Attributes
    ----------
    problems : list of str
        Empty when the registry is sound.
    events, labels, keys : int
        Counts.
    head : str
        Hash of the last event (keep it somewhere else to detect a rewritten log).
    root_key_id : str
        The root key id event 1 names ("" when none).
    """

    problems: list[str] = field(default_factory=list)
    events: int = 0
    labels: int = 0
    keys: int = 0
    head: str = ""
    root_key_id: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_registry(store: Store, root_key_id: str | None = None, known_head: str | None = None) -> RegistryCheck:
    """Check the whole registry (see the module docstring).

    Parameters
    ----------
    root_key_id : str, optional
        The root key id the body published (32 hex digits): the registry's root must be it.
    known_head : str, optional
        A head hash printed or published earlier (64 hex digits): the log must still hold an
        event with that hash, else events were removed from its end (rolled back) or the log
        was rewritten.

    Returns
    -------
    RegistryCheck
    """
    report = RegistryCheck()
    problems = report.problems
    problems.extend(f"database: {p}" for p in store.integrity_errors())
    with store.read() as tx:
        events = tx.events()
        labels = tx.labels()
        keys = tx.keys()
        settings = {"prefix": tx.setting("prefix") or "PCF", "url": tx.setting("url")}
        root_setting = tx.setting("root_key")
        cases, records = tx.cases(), tx.item_records()  # verification cases (issue 15)
    report.events, report.labels, report.keys = len(events), len(labels), len(keys)
    chain_problems, report.head = verify_chain(events)
    problems.extend(chain_problems)

    # replay: only events signed by a key allowed to sign them count
    replayed = replay(events)
    problems.extend(replayed.problems)
    want_keys, want_labels, want_settings = replayed.keys, replayed.labels, replayed.settings
    report.root_key_id = replayed.root["key_id"] if replayed.root else ""
    if replayed.root is None and events:
        problems.append("the event log has no root key (event 1 must be registry-root, signed by the root key)")
    elif root_setting != replayed.root["public_key"]:
        problems.append("the root key in the settings differs from the one event 1 names")
    if root_key_id is not None and report.root_key_id != root_key_id:
        problems.append(f"the registry's root key is {report.root_key_id or 'missing'}, not the expected "
                        f"{root_key_id}: this is not the registry you trust (replaced wholesale?)")

    if known_head is not None and not any(e.hash == known_head for e in events):
        problems.append(f"the head {known_head[:16]}... kept from earlier is not in the event log: events were "
                        "removed from its end (rolled back) or the log was rewritten")

    if settings != want_settings:
        problems.append(f"settings {settings} differ from the event log's {want_settings}")
    have_keys = {k.key_id: k for k in keys}
    for kid in sorted(set(want_keys) | set(have_keys)):
        want, have = want_keys.get(kid), have_keys.get(kid)
        if want is None:
            problems.append(f"key {kid}: in the table but never added in the event log")
        elif have is None:
            problems.append(f"key {kid}: added in the event log but missing from the table")
        elif {k: getattr(have, k) for k in want} != want:
            problems.append(f"key {kid}: differs from the event log")

    have_labels = {label.number: label for label in labels}
    for number in _table_against_log("label", "issued", want_labels, have_labels, problems):
        problems.extend(_check_label(have_labels[number], have_keys))
    problems.extend(claim_problems(labels))
    problems.extend(_check_cases(events, cases, records, have_keys, labels))
    seqs = sorted(label.seq for label in labels)
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append("label sequence numbers do not run 1, 2, 3, ... without gaps or repeats")
    return report


def _check_label(label, keys) -> list[str]:
    """Problems of one stored label's declaration."""
    out = []
    try:
        document = parse_document(label.document, f"label {label.number}")
    except NotADeclaration as exc:
        return [str(exc)]
    declaration = document["declaration"]
    try:
        parsed = parse_number(label.number)
        if parsed.seq != label.seq:
            out.append(f"label {label.number}: its number does not carry its sequence number {label.seq}")
    except RegistryError as exc:
        out.append(f"label {label.number}: {exc}")
    if declaration["label_number"] != label.number:
        out.append(f"label {label.number}: its declaration names number {declaration['label_number']}")
    if digest(declaration) != document["declaration_sha256"] or label.declaration_sha256 != document["declaration_sha256"]:
        out.append(f"label {label.number}: declaration does not match its SHA-256 (altered)")
    key = keys.get(document["signature"]["key_id"])
    if key is None:
        out.append(f"label {label.number}: signed with a key the registry does not hold")
    elif not signature_valid(document, public_from_raw(key.public_key)):
        out.append(f"label {label.number}: signature does not verify under key {key.key_id}")
    else:
        issued = parse_time(declaration["issued_at"])
        if issued < parse_time(key.added_at) or (key.retired_at and issued >= parse_time(key.retired_at)):
            out.append(f"label {label.number}: issued when key {key.key_id} was not current")
    for k in ("product_id", "product_name", "issued_at", "valid_from", "valid_until"):
        stated = declaration["product"][k[len("product_"):]] if k.startswith("product_") else declaration[k]
        if getattr(label, k) != stated:
            out.append(f"label {label.number}: {k} in the table differs from the signed declaration")
    signed = {"scope": label_scope(declaration), "result_sha256": declaration["result_sha256"],
              "supersedes": declaration.get("supersedes")}
    if {"scope": label.scope, "result_sha256": label.result_sha256, "supersedes": label.supersedes} != signed:
        out.append(f"label {label.number}: product scope, result SHA-256 or superseded label in the table differ "
                   "from the signed declaration")
    return out


def _replay_case(e, want: dict, problems: list[str], keys: dict) -> None:
    """One ``case-*`` event into the expected cases (``want``: case number -> columns and records);
    records and the signature count only when signed by a key of the case's verifier."""
    d = e.data
    number = d.get("case")
    where = f"event {e.seq} ({e.kind} {number})"
    if e.kind == "case-opened":
        if number in want:
            problems.append(f"{where}: case opened twice")
        want[number] = {"cols": {"result_sha256": d.get("result_sha256"), "product_id": d.get("product_id"),
                                 "pcr": d.get("pcr"), "verifier": d.get("verifier"), "opened_at": e.at,
                                 "status": "open", "signed_at": None, "key_id": None, "opinion": None,
                                 "case_sha256": None},
                        "records": []}
    elif number not in want:
        problems.append(f"{where}: about a case that was never opened")
    elif want[number]["cols"]["status"] != "open":
        problems.append(f"{where}: after the case was signed")
    elif getattr(keys.get(e.signer), "issuer", None) != want[number]["cols"]["verifier"] or (
            e.kind == "case-signed" and e.signer != d.get("key_id")):
        problems.append(f"{where}: not signed by the case's verifier {want[number]['cols']['verifier']}")
    elif e.kind == "case-recorded":
        want[number]["records"].append((d.get("seq"), d.get("item"), d.get("status"), d.get("note"),
                                        d.get("evidence_sha256"), e.at))
    elif e.kind == "case-signed":
        want[number]["cols"].update(status="signed", signed_at=e.at, key_id=d.get("key_id"),
                                    opinion=d.get("opinion"), case_sha256=d.get("case_sha256"))
    else:
        problems.append(f"{where}: unknown event kind")


def _table_against_log(what: str, done: str, want: dict, have: dict, problems: list[str]) -> list[str]:
    """Rows of a table (``have``: number -> row) against their replay from the event log (``want``:
    number -> {column: value}): a row the log never made, a made row missing, a column that
    differs, each appended to ``problems`` (``"{what} {number}: ..."``; ``done`` is the log's verb,
    e.g. ``issued``). Returns the numbers in both, in order, for the caller's further checks."""
    both = []
    for number in sorted(set(want) | set(have)):
        w, h = want.get(number), have.get(number)
        if w is None:
            problems.append(f"{what} {number}: in the table but never {done} in the event log")
        elif h is None:
            problems.append(f"{what} {number}: {done} in the event log but missing from the table")
        else:
            problems.extend(f"{what} {number}: {k} is {getattr(h, k)!r}, the event log says {value!r}"
                            for k, value in w.items() if getattr(h, k) != value)
            both.append(number)
    return both


def _check_cases(events: list, cases: list, records: list, keys: dict, labels: list) -> list[str]:
    """Cases and their records in the tables against a replay of the ``case-*`` events, every
    signed case's hash and signature, and every label's stated verification against its case
    (issue 15 parts 1 and 2)."""
    out: list[str] = []
    want: dict[str, dict] = {}
    for e in events:
        if e.kind.startswith("case-"):
            _replay_case(e, want, out, keys)
    have = {c.number: c for c in cases}
    by_case: dict[str, list] = {}
    for r in records:
        by_case.setdefault(r.case_number, []).append(
            (r.seq, r.item, r.status, r.note, r.evidence_sha256, r.recorded_at))
    for number in _table_against_log("case", "opened", {n: w["cols"] for n, w in want.items()}, have, out):
        if sorted(by_case.get(number, [])) != sorted(want[number]["records"]):
            out.append(f"case {number}: its item records differ from the event log")
        out.extend(case_problems(have[number], keys))
    for number in sorted(set(by_case) - set(want)):
        out.append(f"case {number}: item records of a case that was never opened")
    for label in labels:
        try:
            declaration = parse_document(label.document, f"label {label.number}")["declaration"]
        except NotADeclaration:
            continue  # reported by _check_label
        stated = declaration.get("verification") or {}
        problem = label_case_problem(declaration, have.get(stated.get("case")), keys)
        if problem is not None:
            out.append(f"label {label.number}: {problem}")
    return out
