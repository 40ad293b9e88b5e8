"""Replaying the signed event log: which keys, labels, statuses and settings the events give.

``pcf registry check`` replays the whole log and compares the tables with it; ``pcf verify``
replays the events that concern one label (event 1 with the root key, the admissions and
retirements of the keys that signed for the label, and the label's own events) and compares
the label's row with it. An event counts only when its signature verifies under a key that
may sign it at its time (:data:`pcf.registry.chain.SIGNERS`):

- ``registry-root`` is event 1 and signed by the key it names (the root key);
- every other key was admitted by a ``key-added`` event signed by the root key, was not
  retired at the event's time, and has a role that may sign the event's kind;
- ``label-issued`` is signed by the very key that signed the declaration, of the issuer the
  event names; a status change by an issuer key concerns a label of that issuer.

An event that fails is reported and left out of the replay, so the table rows it was meant
to vouch for are reported too ("in the table but never added in the event log").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .chain import OWN_LABEL_ONLY, ROOT, SIGNERS, TRANSITIONS, event_signature_valid
from .declaration import parse_time
from .errors import RegistryError
from .keys import key_id, public_from_raw
from .store import EventRecord


@dataclass
class Replay:
    """What a sequence of events gives.

    Attributes
    ----------
    root : dict or None
        ``{key_id, public_key}`` from ``registry-root``.
    keys : dict
        key id -> ``{issuer, public_key, role, added_at, retired_at}``.
    labels : dict
        number -> ``{seq, issuer, key_id, product_id, declaration_sha256, valid_from,
        valid_until, renews, status, renewed_by, issued_at, supersedes, superseded_by}``.
    settings : dict
        ``{prefix, url}``.
    problems : list of str
        One line per event that does not count, or that is not allowed where it stands.
    validity : dict
        key id -> ``valid_until`` of its admission, for keys admitted with an end.
    """

    root: dict | None = None
    keys: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    settings: dict = field(default_factory=lambda: {"prefix": "PCF", "url": None})
    problems: list = field(default_factory=list)
    validity: dict = field(default_factory=dict)


def _where(e: EventRecord) -> str:
    return f"event {e.seq} ({e.kind} {e.label or ''})".replace(" )", ")")


def _current(key: dict, at: str) -> bool:
    t = parse_time(at)
    return (parse_time(key["added_at"]) <= t and (key["retired_at"] is None or t < parse_time(key["retired_at"]))
            and (key.get("valid_until") is None or t < parse_time(key["valid_until"])))


def _root_event(r: Replay, e: EventRecord, first: bool) -> str | None:
    if not first or r.root is not None:
        return "a second registry-root event (the root key is set once, by event 1)"
    try:
        public = public_from_raw(e.data.get("public_key", ""))
    except RegistryError:
        return "names no Ed25519 root key"
    if key_id(public) != e.data.get("key_id") or e.signer != e.data.get("key_id"):
        return "the root key's id does not match its public key or the signer"
    if not event_signature_valid(e, public):
        return "the root key's signature does not verify (forged or altered)"
    r.root = {"key_id": e.data["key_id"], "public_key": e.data["public_key"]}
    return None


def signer_problem(r: Replay, e: EventRecord) -> str | None:
    """Why event ``e`` does not count given the replay so far (None when it does)."""
    allowed = SIGNERS.get(e.kind)
    if allowed is None:
        return "unknown event kind"
    if not e.signer or not e.signature:
        return "is not signed (no signer or no signature): not written by pcf"
    if r.root is not None and e.signer == r.root["key_id"]:
        if ROOT not in allowed:
            return f"signed by the root key, which only admits keys; {e.kind} is signed by {' or '.join(allowed)}"
        if not event_signature_valid(e, public_from_raw(r.root["public_key"])):
            return "the root key's signature does not verify (forged or altered)"
        return None
    key = r.keys.get(e.signer)
    if key is None:
        root = f" {r.root['key_id']}" if r.root else ""
        return (f"signed by key {e.signer}, which the root key{root} never admitted (a self-made or unknown key)"
                if r.root else f"signed by key {e.signer} in a registry without a root key")
    if not event_signature_valid(e, public_from_raw(key["public_key"])):
        return f"signature by key {e.signer} does not verify (forged or altered)"
    if key["role"] not in allowed:
        return f"signed by a {key['role']} key of {key['issuer']}; {e.kind} is signed by {' or '.join(allowed)}"
    if not _current({**key, "valid_until": r.validity.get(e.signer)}, e.at):
        return (f"signed by key {e.signer} of {key['issuer']} when it was not current (added {key['added_at']}, "
                f"retired {key['retired_at'] or 'never'}, admitted until {r.validity.get(e.signer) or 'retired'})")
    if e.kind in OWN_LABEL_ONLY and key["role"] == "issuer" and e.label in r.labels \
            and r.labels[e.label]["issuer"] != key["issuer"]:
        return f"signed by {key['issuer']}, but label {e.label} is {r.labels[e.label]['issuer']}'s"
    if e.kind == "label-issued" and (e.data.get("key_id") != e.signer or e.data.get("issuer") != key["issuer"]):
        return "signed by another key or issuer than the label's"
    return None


def _apply(r: Replay, e: EventRecord) -> str | None:
    """Apply a counted event; the reason when it is not allowed where it stands."""
    d = e.data
    if e.kind == "registry-settings":
        r.settings = {"prefix": d.get("prefix"), "url": d.get("url")}
    elif e.kind == "key-added":
        problem = None
        if d.get("key_id") in r.keys:
            return "admits a key admitted before"
        if any(k["issuer"] == d.get("issuer") and k["retired_at"] is None for k in r.keys.values()):
            problem = f"{d.get('issuer')} would have two current keys (the old one is not retired)"
        r.keys[d["key_id"]] = {"issuer": d["issuer"], "public_key": d["public_key"], "added_at": e.at,
                               "retired_at": None, "role": d.get("role")}
        if d.get("valid_until") is not None:   # admission validity (not a table column)
            r.validity[d["key_id"]] = d["valid_until"]
        return problem
    elif e.kind == "key-retired":
        if d.get("key_id") not in r.keys:
            return "retires a key that was never added"
        r.keys[d["key_id"]]["retired_at"] = e.at
    elif e.kind == "label-issued":
        if e.label in r.labels:
            return "label issued twice"
        r.labels[e.label] = {"seq": d["seq"], "issuer": d["issuer"], "key_id": d["key_id"],
                             "product_id": d["product_id"], "declaration_sha256": d["declaration_sha256"],
                             "valid_from": d["valid_from"], "valid_until": d["valid_until"],
                             "renews": d.get("renews"), "status": "valid", "renewed_by": None, "issued_at": e.at,
                             "supersedes": d.get("supersedes"), "superseded_by": None}
    elif e.kind == "label-superseded":
        return _superseded(r, e)
    elif e.kind in TRANSITIONS:
        allowed, target = TRANSITIONS[e.kind]
        label = r.labels.get(e.label)
        if label is None:
            return "about a label that was never issued"
        if label["status"] not in allowed:
            return f"not allowed from status {label['status']}"
        label["status"] = target
    elif e.kind == "label-renewed":
        label = r.labels.get(e.label)
        if label is None:
            return "about a label that was never issued"
        label["renewed_by"] = d.get("renewed_by")
    return None


def _superseded(r: Replay, e: EventRecord) -> str | None:
    """A ``label-superseded`` event: a valid or suspended label replaced by a later label that
    names it (``supersedes`` in that label's ``label-issued`` event)."""
    label, by = r.labels.get(e.label), e.data.get("superseded_by")
    if label is None:
        return "about a label that was never issued"
    if label["status"] not in ("valid", "suspended"):
        return f"not allowed from status {label['status']}"
    if r.labels.get(by, {}).get("supersedes") != e.label:
        return f"the superseding label {by} does not name {e.label}"
    label["status"], label["superseded_by"] = "superseded", by
    return None


def replay(events: list[EventRecord]) -> Replay:
    """Replay events in order (the whole log, or a subset that starts with event 1).

    Returns
    -------
    Replay
    """
    r = Replay()
    for i, e in enumerate(events):
        if e.kind == "registry-root":
            problem = _root_event(r, e, i == 0 and e.seq == 1)
        else:
            if r.root is None and i == 0:
                r.problems.append(f"{_where(e)}: the log does not start with the root key (registry-root)")
            problem = signer_problem(r, e)
            if problem is None:
                problem = _apply(r, e)
        if problem is not None:
            r.problems.append(f"{_where(e)}: {problem}")
    return r


def label_events(tx, number: str, signing_key_id: str) -> list[EventRecord]:
    """The events :func:`replay` needs to judge one label: event 1, the admissions and
    retirements of the keys that signed the declaration or the label's events, the label's
    own events and, for a superseded label, the ``label-issued`` event of the label that
    supersedes it (which must name it), in log order."""
    own = tx.events(number)
    successors = {e.data.get("superseded_by") for e in own if e.kind == "label-superseded"} - {None}
    own += [e for n in sorted(successors) for e in tx.events(n) if e.kind == "label-issued"]  # it names the label
    signers = {signing_key_id} | {e.signer for e in own}
    keys = [e for e in tx.events(kinds=("key-added", "key-retired")) if e.data.get("key_id") in signers]
    first = tx.events(kinds=("registry-root",))[:1]
    by_seq = {e.seq: e for e in first + keys + own}
    return [by_seq[s] for s in sorted(by_seq)]
