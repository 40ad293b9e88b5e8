"""``pcf registry check``: the whole registry against its event log.

1. the database file (SQLite ``integrity_check`` and foreign keys);
2. the event chain (:func:`pcf.registry.chain.verify_chain`);
3. the tables against a replay of the log: every key, label, status, renewal link and
   setting must be what the events say (an edit of a table without a matching event, or
   an event with no effect, is reported);
4. every label: its signed declaration parses, matches its hash and signature under the
   key the registry holds, names its own number, and the numbers run 1, 2, 3, ... without
   a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .chain import verify_chain
from .declaration import digest, parse_document, parse_time, signature_valid
from .errors import NotADeclaration, RegistryError
from .keys import public_from_raw
from .labeltype import claim_problems
from .numbers import parse_number
from .store import Store

_NEXT = {"label-suspended": ({"valid"}, "suspended"), "label-reinstated": ({"suspended"}, "valid"),
         "label-revoked": ({"valid", "suspended"}, "revoked")}


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
    """

    problems: list[str] = field(default_factory=list)
    events: int = 0
    labels: int = 0
    keys: int = 0
    head: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_registry(store: Store) -> RegistryCheck:
    """Check the whole registry (see the module docstring).

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
    report.events, report.labels, report.keys = len(events), len(labels), len(keys)
    chain_problems, report.head = verify_chain(events)
    problems.extend(chain_problems)

    # replay
    want_keys: dict[str, dict] = {}
    want_labels: dict[str, dict] = {}
    want_settings = {"prefix": "PCF", "url": None}
    for e in events:
        d = e.data
        where = f"event {e.seq} ({e.kind} {e.label or ''})".replace(" )", ")")
        if e.kind == "registry-settings":
            want_settings = {"prefix": d.get("prefix"), "url": d.get("url")}
        elif e.kind == "key-added":
            if any(k["issuer"] == d["issuer"] and k["retired_at"] is None for k in want_keys.values()):
                problems.append(f"{where}: {d['issuer']} would have two current keys (the old one is not retired)")
            want_keys[d["key_id"]] = {"issuer": d["issuer"], "public_key": d["public_key"], "added_at": e.at,
                                      "retired_at": None, "role": d.get("role")}
        elif e.kind == "key-retired":
            if d.get("key_id") not in want_keys:
                problems.append(f"{where}: retires a key that was never added")
            else:
                want_keys[d["key_id"]]["retired_at"] = e.at
        elif e.kind == "label-issued":
            signer = want_keys.get(d.get("key_id"))
            if signer is not None and signer["role"] != "issuer":
                problems.append(f"{where}: signed with a {signer['role']} key, not an issuer key")
            if e.label in want_labels:
                problems.append(f"{where}: label issued twice")
            want_labels[e.label] = {"seq": d["seq"], "issuer": d["issuer"], "key_id": d["key_id"],
                                    "product_id": d["product_id"], "declaration_sha256": d["declaration_sha256"],
                                    "valid_from": d["valid_from"], "valid_until": d["valid_until"],
                                    "renews": d.get("renews"), "status": "valid", "renewed_by": None,
                                    "issued_at": e.at}
        elif e.kind in _NEXT:
            allowed, target = _NEXT[e.kind]
            label = want_labels.get(e.label)
            if label is None:
                problems.append(f"{where}: about a label that was never issued")
            elif label["status"] not in allowed:
                problems.append(f"{where}: not allowed from status {label['status']}")
            else:
                label["status"] = target
        elif e.kind == "label-renewed":
            label = want_labels.get(e.label)
            if label is None:
                problems.append(f"{where}: about a label that was never issued")
            else:
                label["renewed_by"] = d.get("renewed_by")
        else:
            problems.append(f"{where}: unknown event kind")

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
    for number in sorted(set(want_labels) | set(have_labels)):
        want, have = want_labels.get(number), have_labels.get(number)
        if want is None:
            problems.append(f"label {number}: in the table but never issued in the event log")
            continue
        if have is None:
            problems.append(f"label {number}: issued in the event log but missing from the table")
            continue
        for k, value in want.items():
            if getattr(have, k) != value:
                problems.append(f"label {number}: {k} is {getattr(have, k)!r}, the event log says {value!r}")
        problems.extend(_check_label(have, have_keys))
    problems.extend(claim_problems(labels))
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
    return out
