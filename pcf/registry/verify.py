"""Verifying a label: from its signed declaration file, its number, or its QR token.

Checks, in order (each ``ok``, ``fail`` or ``unknown``, with the reason):

1. ``format``     the file is a well-formed signed declaration (or token);
2. ``hash``       ``declaration_sha256`` is the SHA-256 of the canonical declaration;
3. ``signature``  the Ed25519 signature verifies over the canonical declaration;
4. ``issuer key`` the key is the issuer's: registered in the registry and current when
                  the label was issued (or equal to the key given with ``--key``);
5. ``validity``   ``valid_from <= time < valid_until``;
6. ``registry``   the registry holds this very declaration under this number;
7. ``events``     the label's events (issue, status changes) and the admission of the keys
                  that signed them verify: each signed by a key the root key admitted, in
                  an unbroken chain (:mod:`pcf.registry.replay`);
8. ``status``     valid (not suspended, revoked or superseded) in the registry, and the row's status
                  is the one the signed events give.

Verdict: **valid** when every check is ok (exit 0); **invalid** when one fails (exit 1);
**unconfirmed** when none fails but one is unknown, which is the case offline (no
registry: status unknown) (exit 3).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from .declaration import digest, document_text, iso, parse_document, parse_time, signature_valid, utc_now
from .errors import NotADeclaration, RegistryError
from .keys import key_id, public_from_raw
from .labeltype import marks
from .numbers import looks_like_number, parse_number
from .cases import verification_standing
from .chain import verify_chain
from .replay import label_events, replay
from .store import LabelRecord, Store, Tx
from .token import Token, is_token, parse_token

OK, FAIL, UNKNOWN = "ok", "fail", "unknown"

EXIT = {"valid": 0, "invalid": 1, "unconfirmed": 3}


@dataclass
class Check:
    """One verification check: ``name``, ``state`` (ok / fail / unknown) and ``message``."""

    name: str
    state: str
    message: str


@dataclass
class Verification:
    """The outcome of verifying one label.

    Attributes
    ----------
    target : str
        What was verified (file, number or token).
    mode : str
        ``registry`` or ``offline``.
    at : str
        The time the validity was checked for (ISO 8601 UTC).
    number, product_id, product_name, value, cls, issuer, valid_from, valid_until : str or None
        What the label states (None when unreadable).
    status : str
        ``valid``, ``suspended``, ``revoked`` or ``unknown``.
    renewed_by : str or None
        The label that renews this one, if any.
    superseded_by : str or None
        The label that replaced this one (a later label of the product, or its renewal).
    marks : list of str
        What the label states beside the footprint: a reduction claim, the low-carbon mark
        (:func:`pcf.registry.labeltype.marks`).
    checks : list of Check
    """

    target: str
    mode: str
    at: str
    checks: list[Check] = field(default_factory=list)
    number: str | None = None
    product_id: str | None = None
    product_name: str | None = None
    value: str | None = None
    cls: str | None = None
    issuer: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    status: str = "unknown"
    renewed_by: str | None = None
    superseded_by: str | None = None
    marks: list[str] = field(default_factory=list)

    def add(self, name: str, state: str, message: str) -> None:
        self.checks.append(Check(name, state, message))

    @property
    def verdict(self) -> str:
        """``valid``, ``invalid`` or ``unconfirmed`` (see the module docstring)."""
        states = {c.state for c in self.checks}
        if FAIL in states or not self.checks:
            return "invalid"
        return "unconfirmed" if UNKNOWN in states else "valid"

    @property
    def exit_code(self) -> int:
        """0 valid, 1 invalid, 3 unconfirmed."""
        return EXIT[self.verdict]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["verdict"] = self.verdict
        return out

    def shown(self, limit: int | None = None) -> "Verification":
        """A copy for printing, every text shortened to ``limit`` characters [default
        :data:`SHOWN_CHARS`] by :func:`shorten` (a declaration with a 100 MB product name took
        the terminal printer over 120 s; issue 19). The verdict is the same."""
        limit = limit or SHOWN_CHARS
        fields = {name: shorten(value, limit) if isinstance(value, str) else value
                  for name, value in vars(self).items() if name not in ("checks", "marks")}
        return Verification(**fields, checks=[Check(c.name, c.state, shorten(c.message, limit)) for c in self.checks],
                            marks=[shorten(m, limit) for m in self.marks])


#: Characters of a field :meth:`Verification.shown` prints.
SHOWN_CHARS = 300


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text``, or its first characters and how many were left out when it is longer than
    ``limit``: ``"NNN… (99,999,700 more characters)"``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _describe(v: Verification, declaration: dict) -> None:
    head = declaration["values"]["headline"]
    pc = declaration.get("performance_class") or {}
    v.number = declaration["label_number"]
    v.product_id = declaration["product"]["id"]
    v.product_name = declaration["product"]["name"]
    v.value = f"{head['text']} {head['unit']}"
    v.cls = pc.get("class")
    v.marks = marks(declaration)
    v.issuer = declaration["issuer"]["name"]
    v.valid_from = declaration["valid_from"]
    v.valid_until = declaration["valid_until"]


def _validity(v: Verification, valid_from: str, valid_until: str, at: datetime) -> None:
    start, end = parse_time(valid_from), parse_time(valid_until)
    if at < start:
        v.add("validity", FAIL, f"not valid yet: valid from {valid_from}")
    elif at >= end:
        v.add("validity", FAIL, f"expired: valid until {valid_until} (checked at {iso(at)})")
    else:
        v.add("validity", OK, f"within the validity period {valid_from} – {valid_until}")


def _registry_key(v: Verification, tx: Tx, declaration: dict, signed_key_id: str):
    """The registry's key for a declaration, or None (after adding the failed check)."""
    record = tx.key(signed_key_id)
    if record is None:
        v.add("issuer key", FAIL, f"signed with key {signed_key_id}, which is not in the registry (unknown key)")
        return None
    issuer = declaration["issuer"]
    if record.issuer != issuer["name"] or record.public_key != issuer["public_key"]:
        v.add("issuer key", FAIL, f"key {signed_key_id} belongs to issuer {record.issuer}, not to "
                                  f"{issuer['name']} as declared")
        return None
    issued = parse_time(declaration["issued_at"])
    if issued < parse_time(record.added_at) or (record.retired_at and issued >= parse_time(record.retired_at)):
        v.add("issuer key", FAIL, f"key {signed_key_id} of {record.issuer} was not current at {declaration['issued_at']} "
                                  f"(added {record.added_at}, retired {record.retired_at or 'never'})")
        return None
    v.add("issuer key", OK, f"key {signed_key_id} of issuer {record.issuer}, registered {record.added_at}"
                            + (f", retired {record.retired_at} (labels before stay valid)" if record.retired_at else ""))
    return public_from_raw(record.public_key)


def _status(v: Verification, tx: Tx, label: LabelRecord, signed: dict | None) -> None:
    """The status check: the row's status must be the one the label's signed events give."""
    events = tx.events(label.number)
    revoked = any(e.kind == "label-revoked" for e in events)
    superseded = next((e.data.get("superseded_by") for e in events if e.kind == "label-superseded"), None)
    signed_status = signed["status"] if signed else None
    v.renewed_by = label.renewed_by
    v.superseded_by = label.superseded_by or superseded
    if signed_status is not None and signed_status != label.status:
        v.status = signed_status
        v.add("status", FAIL, f"the registry row says {label.status} but the signed events say {signed_status}: "
                              "the row was changed without a signed event")
    elif revoked or label.status == "revoked":
        v.status = "revoked"
        v.add("status", FAIL, f"revoked on {label.status_at}" if label.status == "revoked"
              else "revoked (the event log records its revocation)")
    elif label.status == "superseded" or v.superseded_by:
        v.status = "superseded"
        how = "renewed and " if label.renewed_by else ""
        v.add("status", FAIL, f"{how}superseded by {v.superseded_by}"
              + (f" on {label.status_at}" if label.status == "superseded" else " (the event log records it)")
              + f": this label is no longer valid; verify {v.superseded_by}")
    elif label.status != "valid":
        v.status = label.status
        v.add("status", FAIL, f"{label.status} since {label.status_at}")
    else:
        v.status = "valid"
        v.add("status", OK, "not suspended or revoked" + (f"; renewed by {label.renewed_by}" if label.renewed_by else ""))


def signed_event_problems(tx: Tx, document: dict, label: LabelRecord,
                          root_key_id: str | None = None, chain: bool = True) -> tuple[list[str], dict | None]:
    """What the signed events say about one label, and what is wrong with them.

    Replays the label's events, the admissions of the keys that signed for it and event 1
    (:func:`pcf.registry.replay.label_events`), checks the whole chain's links and hashes,
    and compares the row with the signed events (digest, key, dates, renewal link, status).

    Parameters
    ----------
    tx : Tx
        A read transaction.
    document : dict
        The label's signed declaration (parsed).
    label : LabelRecord
        Its row.
    root_key_id : str, optional
        The root key id the body published.
    chain : bool
        Check the whole chain too [default True]; a live page checks it incrementally
        (:class:`pcf.serve.live.LivePages`) instead of reading every event per request.

    Returns
    -------
    problems : list of str
        Empty when the label's events are genuine and the row agrees with them.
    signed : dict or None
        The label as the signed events give it (``status``, ``renewed_by``, ...), or None.
    """
    signing = document["signature"]["key_id"]
    replayed = replay(label_events(tx, label.number, signing))
    problems = list(replayed.problems)
    chain_problems, _ = verify_chain(tx.events()) if chain else ([], None)
    problems += [f"the event log is broken: {p}" for p in chain_problems[:3]]
    if replayed.root is None:
        problems.append("the registry has no root key (event 1 is not a signed registry-root)")
    elif tx.setting("root_key") != replayed.root["public_key"]:
        problems.append("the registry's root key setting differs from the root key event 1 names")
    if root_key_id is not None and (replayed.root or {}).get("key_id") != root_key_id:
        problems.append(f"the registry's root key is not {root_key_id}, the one you trust")
    if replayed.keys.get(signing) is None:
        problems.append(f"key {signing} was not admitted by a signature of the root key")
    signed = replayed.labels.get(label.number)
    if signed is None:
        problems.append(f"no label-issued event signed by its issuer key for {label.number}")
    else:
        for name in ("declaration_sha256", "key_id", "valid_from", "valid_until", "renewed_by"):
            if signed[name] != getattr(label, name):
                problems.append(f"the registry row's {name} is not the one the signed events give")
    return problems, signed


def label_integrity(tx: Tx, label: LabelRecord, chain: bool = True) -> list[str]:
    """Problems that make a stored label untrustworthy whatever its dates: its declaration's
    digest and signature under its key, its signed events, and its row's status against the
    status the signed events give (empty when none). For pages that show a label's status
    from the registry (``pcf serve``)."""
    try:
        document = parse_document(label.document, f"label {label.number}")
    except NotADeclaration as exc:
        return [str(exc)]
    declaration = document["declaration"]
    problems = []
    if digest(declaration) != document["declaration_sha256"] or label.declaration_sha256 != digest(declaration):
        problems.append("the declaration does not match its SHA-256")
    elif not signature_valid(document, public_from_raw(declaration["issuer"]["public_key"])) \
            or key_id(public_from_raw(declaration["issuer"]["public_key"])) != document["signature"]["key_id"]:
        problems.append("the declaration's signature does not verify")
    event_problems, signed = signed_event_problems(tx, document, label, chain=chain)
    problems += event_problems
    if signed is not None and signed["status"] != label.status:
        problems.append(f"the registry row says {label.status} but the signed events say {signed['status']}")
    return problems


def _events(v: Verification, tx: Tx, document: dict, label: LabelRecord, root_key_id: str | None) -> dict | None:
    """The ``events`` check (:func:`signed_event_problems`); returns what the signed events say
    about the label (or None)."""
    problems, signed = signed_event_problems(tx, document, label, root_key_id)
    if problems:
        v.add("events", FAIL, "; ".join(problems))
    else:
        v.add("events", OK, f"issued and changed only by signed events; key {document['signature']['key_id']} "
                            "admitted by the root key")
    return signed


def verify_document(data: bytes | str | dict, store: Store | None = None, public_key=None,
                    at: datetime | None = None, target: str = "declaration",
                    root_key_id: str | None = None) -> Verification:
    """Verify a signed declaration.

    Parameters
    ----------
    data : bytes, str or dict
        The file's content (or the parsed document).
    store : Store, optional
        The registry to check key, record and status against; None verifies offline.
    public_key : Ed25519PublicKey, optional
        Offline: the issuer's key to trust (from its ``.pub`` file).
    at : datetime, optional
        Time to check the validity period for [default: now].
    target : str
        Name of what is verified, for the report.
    root_key_id : str, optional
        With a registry: the root key id the body published; the registry's must be it.

    Returns
    -------
    Verification
    """
    at = at or utc_now()
    v = Verification(target=target, mode="registry" if store is not None else "offline", at=iso(at))
    try:
        document = parse_document(document_text(data) if isinstance(data, dict) else data, target)
    except NotADeclaration as exc:
        v.add("format", FAIL, str(exc))
        return v
    declaration = document["declaration"]
    _describe(v, declaration)
    v.add("format", OK, "a signed declaration (pcf-signed-declaration/1)")
    if digest(declaration) == document["declaration_sha256"]:
        v.add("hash", OK, f"declaration SHA-256 {document['declaration_sha256'][:16]}...")
    else:
        v.add("hash", FAIL, "the declaration does not match its SHA-256: it was altered")
    signed_key_id = document["signature"]["key_id"]
    embedded = public_from_raw(declaration["issuer"]["public_key"])
    if key_id(embedded) != signed_key_id:
        v.add("signature", FAIL, "the declared public key does not have the declared key id")
        return v
    if store is None:
        if public_key is not None:
            if key_id(public_key) != signed_key_id:
                v.add("issuer key", FAIL, f"signed with key {signed_key_id}, not with the given key {key_id(public_key)} "
                                          "(unknown key)")
                trusted = None
            else:
                v.add("issuer key", OK, f"the given key {signed_key_id}")
                trusted = public_key
        else:
            v.add("issuer key", UNKNOWN, "not checked offline: the key is the one the file names; pass --key "
                                         "ISSUER.pub or verify against the registry")
            trusted = embedded
        if trusted is not None:
            _signature(v, document, trusted)
        _validity(v, declaration["valid_from"], declaration["valid_until"], at)
        v.add("status", UNKNOWN, "unknown offline (suspension and revocation are only in the registry)")
        return v
    with store.read() as tx:
        registry_key = _registry_key(v, tx, declaration, signed_key_id)
        if registry_key is not None:
            _signature(v, document, registry_key)
        _validity(v, declaration["valid_from"], declaration["valid_until"], at)
        label = tx.label(declaration["label_number"])
        if label is None:
            v.add("registry", FAIL, f"no label {declaration['label_number']} in the registry {store.location}")
            return v
        if label.declaration_sha256 != document["declaration_sha256"] or label.declaration_sha256 != digest(declaration):
            v.add("registry", FAIL, f"the registry holds another declaration under {label.number}")
        else:
            v.add("registry", OK, f"the registry holds this declaration under {label.number}")
        signed = _events(v, tx, document, label, root_key_id)
        _status(v, tx, label, signed)
        v.add("verification", *verification_standing(tx, declaration))  # the case behind it (issue 15)
    return v


def _signature(v: Verification, document: dict, public_key) -> None:
    if signature_valid(document, public_key):
        v.add("signature", OK, f"Ed25519 signature by key {document['signature']['key_id']} is valid")
    else:
        v.add("signature", FAIL, "the signature does not verify: the declaration was altered or signed by another key")


def verify_number(number: str, store: Store, at: datetime | None = None,
                  root_key_id: str | None = None) -> Verification:
    """Verify a label by its number against the registry (its stored declaration, key and status)."""
    at = at or utc_now()
    try:
        parsed = parse_number(number)
    except RegistryError as exc:
        v = Verification(target=number, mode="registry", at=iso(at))
        v.add("format", FAIL, str(exc))
        return v
    with store.read() as tx:
        label = tx.label(parsed.text)
    if label is None:
        v = Verification(target=number, mode="registry", at=iso(at), number=parsed.text)
        v.add("registry", FAIL, f"no label {parsed.text} in the registry {store.location}: not a label of this registry")
        return v
    return verify_document(label.document, store, at=at, target=parsed.text, root_key_id=root_key_id)


def verify_token(text: str, store: Store | None = None, public_key=None, at: datetime | None = None,
                 root_key_id: str | None = None) -> Verification:
    """Verify a label's QR token, against the registry or (with the issuer's key) offline."""
    at = at or utc_now()
    mode = "registry" if store is not None else "offline"
    try:
        token = parse_token(text)
    except NotADeclaration as exc:
        v = Verification(target="token", mode=mode, at=iso(at))
        v.add("format", FAIL, str(exc))
        return v
    if store is None:
        v = Verification(target="token", mode=mode, at=iso(at), number=token.number,
                         product_id=token.fields["p"], value=f"{token.fields['v']} {token.fields['u']}",
                         cls=None if token.fields["c"] == "-" else token.fields["c"],
                         valid_from=token.valid_from, valid_until=token.valid_until)
        v.add("format", OK, "a label token (PCFL1)")
        if public_key is None:
            v.add("signature", UNKNOWN, "a token names no key: pass --key ISSUER.pub or verify against the registry")
        elif not key_id(public_key).startswith(token.fields["k"]):
            v.add("issuer key", FAIL, f"signed with key {token.fields['k']}..., not with the given key (unknown key)")
        else:
            v.add("issuer key", OK, f"the given key {key_id(public_key)}")
            v.add("signature", OK if token.signature_valid(public_key) else FAIL,
                  "token signature is valid" if token.signature_valid(public_key) else "token signature does not verify")
        _validity(v, token.valid_from, token.valid_until, at)
        v.add("status", UNKNOWN, "unknown offline (suspension and revocation are only in the registry)")
        return v
    with store.read() as tx:
        label = tx.label(token.number)
    if label is None:
        v = Verification(target="token", mode=mode, at=iso(at), number=token.number)
        v.add("registry", FAIL, f"no label {token.number} in the registry {store.location}")
        return v
    v = verify_document(label.document, store, at=at, target="token", root_key_id=root_key_id)
    _token_matches(v, token, label)
    return v


def _token_matches(v: Verification, token: Token, label: LabelRecord) -> None:
    with_key = public_from_raw(parse_document(label.document)["declaration"]["issuer"]["public_key"])
    if not label.key_id.startswith(token.fields["k"]) or not token.signature_valid(with_key):
        v.add("token", FAIL, "the token's signature does not verify with the label's key: forged or altered")
    elif not label.declaration_sha256.startswith(token.fields["h"]):
        v.add("token", FAIL, "the token names another declaration than the registry's")
    elif (token.fields["p"] != label.product_id or token.valid_until != label.valid_until
          or token.valid_from != label.valid_from):
        v.add("token", FAIL, "the token's product or dates differ from the registry's")
    else:
        v.add("token", OK, "token signed by the label's key, for this declaration")


def verify(target: str, store: Store | None = None, public_key=None, at: datetime | None = None,
           root_key_id: str | None = None) -> Verification:
    """``pcf verify``: verify a file, a label number or a token.

    Parameters
    ----------
    target : str
        A signed-declaration file path, a label number (``PCF-2026-000001-87``) or a token
        (``PCFL1|...``).
    store : Store, optional
        The registry; None verifies offline (a number then cannot be verified).
    public_key : Ed25519PublicKey, optional
        Offline: the issuer key to trust.
    at : datetime, optional
        Time of the validity check [default: now].
    root_key_id : str, optional
        With a registry: the root key id the body published (32 hex digits).

    Returns
    -------
    Verification

    Raises
    ------
    RegistryError
        A number without a registry, or a file that cannot be read.
    """
    if is_token(target):
        return verify_token(target, store, public_key, at, root_key_id)
    path = Path(target)
    if path.is_file():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RegistryError(f"{path}: cannot be read ({exc.strerror})") from None
        return verify_document(data, store, public_key, at, target=str(path), root_key_id=root_key_id)
    if looks_like_number(target):
        if store is None:
            raise RegistryError(f"{target}: a label number can only be verified against a registry; pass the "
                                "declaration file to verify offline")
        return verify_number(target, store, at, root_key_id)
    raise RegistryError(f"{target}: no such file, and not a label number (PREFIX-YYYY-NNNNNN-CC) nor a token (PCFL1|...)")
