"""``pcf registry publish DIR``: the static public verification site.

Files (all relative links, no script, a Content-Security-Policy that forbids scripts,
so the pages work from any static web server or from ``file://``):

- ``<number>.html``: one page per label: status (valid, suspended, revoked with its reason,
  superseded with a link to its successor, expired, not yet valid: :mod:`.status`), shown
  prominently as "status as of <publishing time>", product, value, class, PCR, method,
  validity period, issuer, renewal links, declaration SHA-256 and key id; for a current label
  under a PCR with ``peer_grading``, its peer level and the group's figures as an anonymous
  strip (:mod:`.peerview`);
- ``<number>.declaration.json``: the signed declaration (what the label states; anyone
  can verify it offline);
- ``index.html``: every label with its status, the issuer keys and the event-log head;
- ``labels.json``: number, product, status, validity of every label, with the log head;
- ``keys.json``: issuers' public keys (base64url) with their periods.

A revocation's reason is published with it (whoever relies on the label needs it; the
reason is written for the public). Not published: suspension and renewal reasons (a
suspension is often an open dispute), the event log itself, the result files behind the
declarations (contributions and supplier data), private keys (never in the registry). The registry is checked first
(:func:`pcf.registry.check.check_registry`); a registry with problems is not published.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from markupsafe import Markup

from ..core.files import write_atomic
from ..pcr.loader import shipped_rule
from ..render import fmt, output, view

from ..registry.check import check_registry
from ..registry.declaration import iso, parse_document, utc_now
from ..registry.errors import RegistryError
from ..registry.render import _date, _last_day, study_standard, verification_context
from ..registry.numbers import looks_like_number
from ..registry.store import Store
from .peerview import peer_views
from .status import STATUS_NAMES, label_state, names  # noqa: F401  (STATUS_NAMES: re-exported)

def effective_status(status: str, valid_from: str, valid_until: str, at: datetime) -> str:
    """The status a page shows from the row's columns alone (see :func:`.status.label_state`)."""
    from types import SimpleNamespace

    row = SimpleNamespace(number="", status=status, status_at=None, status_reason=None,
                          valid_from=valid_from, valid_until=valid_until)
    return label_state(row, [], at).status


def page_context(label, at: datetime, events: list | None = None, *, live: bool = False) -> dict:
    """What the page of one label shows (a :class:`~pcf.registry.store.LabelRecord` and its
    events, oldest first), with the status at ``at`` (:func:`.status.label_state`).

    ``live``: the page is served at request time (``pcf serve``), not a published snapshot.
    """
    document = parse_document(label.document, f"registry label {label.number}")
    d = document["declaration"]
    head = d["values"]["headline"]
    pc = d.get("performance_class") or {}
    state = label_state(label, events or [], at)
    rule = shipped_rule(str(d["pcr"].get("id")), str(d["pcr"].get("version")))
    zh, en, text = names(state.status)
    if state.since and state.status != "revoked":  # a revocation's date has a line of its own
        text = f"{text} ({_date(state.since)})"
    supersedes = getattr(label, "supersedes", None) or d.get("supersedes")
    return {
        "number": label.number, "status": state.status, "status_zh": zh, "status_en": en, "status_text": text,
        "status_since": _date(state.since) if state.since else None, "reason": state.reason,
        "superseded_by": state.superseded_by,
        "supersedes": supersedes if isinstance(supersedes, str) and looks_like_number(supersedes) else None,
        "justification": d.get("justification") if isinstance(d.get("justification"), str) else None,
        "reference_period": d.get("reference_period") if isinstance(d.get("reference_period"), dict) else None,
        "product_name": d["product"]["name"], "product_id": d["product"]["id"],
        "value": fmt.sig(head["value"]), "unit": head["unit"], "basis": head["basis"],
        "declared_words": _declared_words(d, rule), "per_reference_flow": _per_reference_flow(d),
        "cls": pc.get("class") or "未分级 not graded", "illustrative": bool(pc.get("illustrative")),
        "pcr": f"{d['pcr'].get('id')} v{d['pcr'].get('version')}",
        "standard": study_standard(d), "boundary": d["study"].get("boundary") or fmt.DASH,
        "method": fmt.METHOD_NAMES.get(d["method"]["id"], d["method"]["id"]),
        "valid_from": _date(label.valid_from), "valid_until": _last_day(label.valid_until),
        "issuer": label.issuer, "issued_at": label.issued_at,
        "renews": label.renews, "renewed_by": label.renewed_by,
        "declaration_sha256": label.declaration_sha256, "key_id": label.key_id,
        "published_at": iso(at), "live": live, "document": document, **_marks(d),
        "verification": verification_context(d),  # who verified the result (issue 15 part 2)
        "peer": None,  # the published site fills it in (peerview.peer_views)
    }


def _declared_words(d: dict, rule) -> tuple[str, str] | None:
    """(Chinese, English) words saying what the declared unit is (:func:`pcf.render.view.unit_words`),
    when the headline figure is per declared unit; else None."""
    declared = d["product"].get("declared_unit")
    if d["values"]["headline"].get("basis") != "per declared unit" or not isinstance(declared, dict):
        return None
    return view.unit_words(rule, str(declared.get("unit") or ""), declared.get("description"))


def _per_reference_flow(d: dict) -> str | None:
    """``2,258 kg CO2e / item``: the declared figure per reference flow, as the label prints it
    under a figure per declared unit; None when the headline is per reference flow already."""
    declared, flow = d["values"].get("declared"), d["product"].get("reference_flow")
    if d["values"]["headline"].get("basis") != "per declared unit" or not isinstance(declared, dict) \
            or not isinstance(flow, dict) or not isinstance(declared.get("kg_co2e"), (int, float)):
        return None
    amount = flow.get("amount")
    per = flow.get("unit") if amount == 1 else f"{fmt.amount(amount)} {flow.get('unit')}"
    return f"{fmt.sig(declared['kg_co2e'])} kg CO2e / {per}"


def _marks(d: dict) -> dict:
    """A reduction label's claim (with a link to its baseline) and the low-carbon mark (:mod:`pcf.registry.labeltype`)."""
    claim, low = d.get("claim"), d.get("low_carbon")
    baseline = claim["baseline"]["label_number"] if isinstance(claim, dict) else None
    return {"reduction": claim["text"] if isinstance(claim, dict) else None,
            "baseline": baseline if isinstance(baseline, str) and looks_like_number(baseline) else None,
            "low_carbon": low["text"] if isinstance(low, dict) else None,
            "low_carbon_illustrative": bool(low.get("illustrative")) if isinstance(low, dict) else False}


def count_text(count: int) -> str:
    """``1 label``, ``N labels`` (``0 labels``)."""
    return f"{count} label" if count == 1 else f"{count} labels"


def publish(store: Store, out_dir: str | Path, *, now: datetime | None = None) -> list[Path]:
    """Write the static verification site of the registry.

    Parameters
    ----------
    store : Store
        The registry.
    out_dir : str or Path
        Site folder; created when missing. Existing pages are replaced (each file
        atomically); other files are left alone.
    now : datetime, optional
        The time the statuses are given for [default: now].

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    RegistryError
        The registry check fails (nothing is published), or the folder cannot be written.
    RenderError
        A template is missing.
    """
    at = now or utc_now()
    report = check_registry(store)
    if not report.ok:
        raise RegistryError("the registry check fails, so nothing was published: " + "; ".join(report.problems[:5])
                            + ("; ..." if len(report.problems) > 5 else "") + " (see `pcf registry check`)")
    with store.read() as tx:
        labels = tx.labels()
        keys = tx.keys()
        events: dict[str, list] = {}
        for event in tx.events():
            if event.label is not None:
                events.setdefault(event.label, []).append(event)
    env = output.environment()
    css = Markup(output.read_template_file(env, "registry_site.css"))  # our own file, not data
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(f"site folder {out} cannot be created ({exc.strerror})") from None
    files: dict[Path, bytes] = {}
    rows = []
    peers = peer_views(labels, iso(at))  # issue 21: level among the current labels, anonymous strip
    for label in labels:
        page = page_context(label, at, events.get(label.number, []))
        page["peer"] = peers.get(label.number)
        document = page.pop("document")
        files[out / f"{label.number}.html"] = output.render_template(
            env, "registry_page.html.j2", P=page, css=css).encode("utf-8")
        files[out / f"{label.number}.declaration.json"] = (
            json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        rows.append(page)
    index = {"count": len(rows), "count_text": count_text(len(rows)), "rows": rows, "live": False,
             "issuer_keys": keys, "published_at": iso(at), "events": report.events, "head": report.head,
             "root_key_id": report.root_key_id}
    files[out / "index.html"] = output.render_template(env, "registry_index.html.j2", I=index, css=css).encode("utf-8")
    files[out / "labels.json"] = (json.dumps({
        "format": "pcf-registry-status/1", "published_at": iso(at), "events": report.events,
        "chain_head": report.head, "root_key_id": report.root_key_id,
        "labels": [{"number": r["number"], "product_id": r["product_id"], "status": r["status"],
                    "valid_from": label.valid_from, "valid_until": label.valid_until,
                    "declaration_sha256": r["declaration_sha256"], "renews": r["renews"],
                    "renewed_by": r["renewed_by"], "superseded_by": r["superseded_by"],
                    "status_since": r["status_since"], "reason": r["reason"]} for r, label in zip(rows, labels)],
    }, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files[out / "keys.json"] = (json.dumps({
        "format": "pcf-registry-keys/1",
        "keys": [{"issuer": k.issuer, "key_id": k.key_id, "alg": "Ed25519", "public_key": k.public_key,
                  "added_at": k.added_at, "retired_at": k.retired_at} for k in keys],
    }, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        write_atomic(files)
    except OSError as exc:
        raise RegistryError(f"cannot write the site in {out} ({exc.strerror})") from None
    return sorted(files)
