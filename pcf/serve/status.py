"""The status a public verification page shows for a label, from its registry row and its events.

Shared by the live pages of ``pcf serve`` (:mod:`.live`, computed at each request) and the
static site of ``pcf registry publish`` (:mod:`.publish`, computed once, "status as of").

Order (the first that applies):

1. ``revoked``: the row says so **or** the log holds a ``label-revoked`` event (as
   :mod:`pcf.registry.verify` decides); the page shows the revocation's reason and date
   (the event's, else the row's);
2. ``superseded``: the row's status is ``superseded`` or the label names a successor
   (a ``superseded_by`` column, else the label number in the data of its latest event whose
   kind contains ``supersed``); the page links to the successor;
3. ``suspended``: the row says so or the latest suspend/reinstate event is a suspension;
   the date is shown, the reason is not (a suspension is often an open dispute);
4. another status the registry may record (shown by its name);
5. ``expired`` (``at >= valid_until``, exclusive end) or ``not-yet-valid`` (``at < valid_from``),
   decided at ``at``: for a live page the time of the request;
6. ``valid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..registry.declaration import parse_time
from ..registry.numbers import looks_like_number

STATUS_NAMES = {
    "valid": ("有效", "VALID", "genuine, signed by the issuer, within its validity period, not suspended or revoked"),
    "suspended": ("已暂停", "SUSPENDED", "the issuer has suspended this label; it is not valid while suspended"),
    "revoked": ("已撤销", "REVOKED", "the issuer has revoked this label; it is not valid"),
    "superseded": ("已被替代", "SUPERSEDED", "a newer label of the same product replaces this one; it is no longer "
                                            "current"),
    "expired": ("已过期", "EXPIRED", "the validity period has ended"),
    "not-yet-valid": ("尚未生效", "NOT YET VALID", "the validity period has not begun"),
}


@dataclass(frozen=True)
class LabelState:
    """What a page says about a label's status.

    Attributes
    ----------
    status : str
        A key of :data:`STATUS_NAMES` (or another status the registry row holds).
    since : str or None
        ISO 8601 UTC time of the status change (revoked, superseded, suspended), else None.
    reason : str or None
        The revocation reason (revoked only; user text, escape it when shown).
    superseded_by : str or None
        The label number that replaces this one.
    """

    status: str
    since: str | None = None
    reason: str | None = None
    superseded_by: str | None = None


def names(status: str) -> tuple[str, str, str]:
    """(Chinese, English, explanation) of a status; an unknown one by its own name."""
    return STATUS_NAMES.get(status, (status, status.upper(), f"status {status} in the registry; not valid"))


def _successor(label, events: list) -> tuple[str | None, str | None]:
    """(label number that supersedes ``label``, time) from the row or the latest superseding event."""
    column = getattr(label, "superseded_by", None)
    found, at = (column, None) if column else (None, None)
    for event in reversed(events):
        if "supersed" not in event.kind:
            continue
        data = event.data if isinstance(event.data, dict) else {}
        values = [data[k] for k in sorted(data, key=lambda k: "by" not in k)]  # keys naming "by" first
        numbers = [v for v in values if isinstance(v, str) and looks_like_number(v) and v != label.number]
        if numbers and (found is None or found == numbers[0]):
            return numbers[0], event.at
    return found, at


def label_state(label, events: list, at: datetime) -> LabelState:
    """The status of ``label`` at ``at`` (see the module docstring for the order).

    Parameters
    ----------
    label : pcf.registry.store.LabelRecord
        The registry row.
    events : list of pcf.registry.store.EventRecord
        The label's own events, oldest first (``Tx.events(number)``); may be empty (the row
        alone decides then).
    at : datetime
        The time the status is for (UTC).
    """
    revocations = [e for e in events if e.kind == "label-revoked"]
    if revocations or label.status == "revoked":
        last = revocations[-1] if revocations else None
        reason = (last.data.get("reason") if last is not None and isinstance(last.data, dict) else None) \
            or label.status_reason
        return LabelState("revoked", last.at if last is not None else label.status_at, reason)
    successor, when = _successor(label, events)
    if label.status == "superseded" or successor:
        return LabelState("superseded", when or label.status_at, None, successor)
    toggles = [e for e in events if e.kind in ("label-suspended", "label-reinstated")]
    if label.status == "suspended" or (toggles and toggles[-1].kind == "label-suspended"):
        return LabelState("suspended", toggles[-1].at if toggles else label.status_at)
    if label.status != "valid":
        return LabelState(label.status, label.status_at)
    if at >= parse_time(label.valid_until):
        return LabelState("expired")
    if at < parse_time(label.valid_from):
        return LabelState("not-yet-valid")
    return LabelState("valid")
