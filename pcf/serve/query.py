"""ListFootprints filters and the served JSON of the PACT host, on the registry's document cache.

The filters of PACT v3 ListFootprints (``productId``, ``companyId``, ``geography``,
``classification``, ``validOn``, ``validAfter``, ``validBefore``, ``status``; values of one
criterion OR-ed, criteria AND-ed, case-insensitive) become a
:class:`pcf.registry.pactstore.PactQuery` that the registry answers in SQL with an index
(:meth:`pcf.registry.pactstore.PactCacheTx.pact_page`), a page at a time (``limit`` /
``offset``), instead of loading every document. :func:`matches` is the same rule on one
document in memory: the reference the SQL answers are tested against.

A served document is the cached JSON body (everything that is fixed for the label's life)
with ``status`` and ``comment`` written in front at request time (:func:`served_json`), so
nothing is parsed or re-serialised per request.

References
----------
PACT Technical Specifications v3.0.3, rest-api.md "Action ListFootprints" (filtering) and
ProductFootprint ``validityPeriodStart`` (three years after ``referencePeriodEnd`` by default).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ..registry.pactstore import TERM_FIELDS, PactQuery, sortable_time

#: Lower-cased filter names of ListFootprints, in the order PACT lists them.
FILTERS = ("productid", "companyid", "geography", "classification", "validon", "validafter", "validbefore", "status")

_LOWEST, _HIGHEST = "0000-00-00T00:00:00.000000Z", "9999-99-99T99:99:99.999999Z"


def parse_time(text: str) -> datetime:
    """An ISO 8601 date-time (``Z`` or an offset; none: UTC) as an aware datetime.

    Raises
    ------
    ValueError
        Not an ISO 8601 date-time.
    """
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _sortable(text: str) -> str:
    """:func:`parse_time` as :func:`pcf.registry.pactstore.sortable_time` text (a time beyond
    years 1..9999 in UTC sorts before or after every other)."""
    moment = parse_time(text)
    try:
        return sortable_time(moment)
    except OverflowError:
        return _LOWEST if moment.year == 1 else _HIGHEST


def validity(doc: dict) -> tuple[datetime, datetime] | None:
    """A footprint's validity period: its own, else 3 years from the reference period's end
    (PACT v3 ``validityPeriodStart``: "If no validity period is specified, the ProductFootprint
    is valid for 3 years after the referencePeriodEnd"); None without either."""
    if doc.get("validityPeriodStart") and doc.get("validityPeriodEnd"):
        return parse_time(doc["validityPeriodStart"]), parse_time(doc["validityPeriodEnd"])
    end = doc.get("pcf", {}).get("referencePeriodEnd")
    if not end:
        return None
    start = parse_time(end)
    try:
        return start, start.replace(year=start.year + 3)
    except ValueError:
        return start, start + timedelta(days=3 * 365)


def terms(doc: dict) -> dict[str, tuple[str, ...]]:
    """The lower-cased values each text filter compares in ``doc`` (``productid``,
    ``companyid``, ``classification``; ``geography``: country, subdivision, the subdivision's
    country, region), empty values left out."""
    pcf = doc.get("pcf", {})
    sub = pcf.get("geographyCountrySubdivision") or ""
    found = {"productid": doc.get("productIds") or [], "companyid": doc.get("companyIds") or [],
             "classification": doc.get("productClassifications") or [],
             "geography": [pcf.get("geographyCountry"), sub, sub[:2], pcf.get("geographyRegionOrSubregion")]}
    return {name: tuple(sorted({v.lower() for v in values if v})) for name, values in found.items()}


def pact_query(criteria: dict[str, list[str]]) -> PactQuery:
    """The SQL-ready form of ListFootprints criteria (``lower-cased name -> values``, names of
    :data:`FILTERS`).

    Raises
    ------
    ValueError
        A date criterion that is not an ISO 8601 date-time.
    """
    query = PactQuery()
    for name, values in criteria.items():
        if name in TERM_FIELDS:
            query.terms[name] = sorted({v.lower() for v in values})
        elif name == "status":
            query.statuses = {v.lower() for v in values}
        elif name in ("validon", "validafter", "validbefore"):
            getattr(query, {"validon": "valid_on", "validafter": "valid_after",
                            "validbefore": "valid_before"}[name]).extend(_sortable(v) for v in values)
    return query


def matches(doc: dict, criteria: dict[str, list[str]]) -> bool:
    """Whether a served footprint matches every criterion, in memory (the rule :func:`pact_query`
    answers in SQL; values of one text criterion: any; every date criterion must hold).

    Raises
    ------
    ValueError
        A date criterion that is not an ISO 8601 date-time.
    """
    have = terms(doc)
    for name, values in criteria.items():
        if name in TERM_FIELDS and not {v.lower() for v in values} & set(have[name]):
            return False
        if name == "status" and doc.get("status", "").lower() not in {v.lower() for v in values}:
            return False
        if name in ("validon", "validafter", "validbefore"):
            period = validity(doc)
            for v in values:
                t = parse_time(v)
                if period is None:
                    return False
                start, end = period
                if (name == "validon" and not start <= t <= end) or (name == "validafter" and not start > t) \
                        or (name == "validbefore" and not end < t):
                    return False
    return True


def label_note(number: str, issuer: str, issued_at: str, valid_from: str, valid_until: str, status: str,
               renewed_by: str | None) -> str:
    """The sentence a served footprint's ``comment`` ends with: the label, its issuer, validity
    and status (registry times as stored)."""
    return (f"Carbon label {number} issued by {issuer} on {issued_at}, valid {valid_from} to {valid_until} "
            f"(exclusive), status {status}" + (f", renewed by {renewed_by}" if renewed_by else "") + ".")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def body_json(doc: dict) -> str:
    """A document's cached body: its JSON without ``status`` and ``comment`` (compact, UTF-8)."""
    return _dumps({k: v for k, v in doc.items() if k not in ("status", "comment")})


def served_json(row, body: str, comment: str) -> bytes:
    """The served document (UTF-8 JSON) of a cache row
    (:meth:`pcf.registry.pactstore.PactCacheTx.pact_page` columns) and its cached ``body`` and
    export ``comment``: ``status`` (``Active`` when the row's ``active`` is 1, else
    ``Deprecated``) and ``comment`` (the export's and :func:`label_note`) written in front of the
    body."""
    note = label_note(row["number"], row["issuer"], row["issued_at"], row["label_from"], row["label_until"],
                      row["status"], row["renewed_by"])
    rest = "," + body[1:] if len(body) > 2 else "}"
    return ('{"status":' + ('"Active"' if row["active"] else '"Deprecated"') + ',"comment":'
            + _dumps(f"{comment} {note}".strip()) + rest).encode("utf-8")


def data_json(documents: list[bytes] | bytes) -> bytes:
    """The response body ``{"data": ...}`` of a list of served documents or of one."""
    inner = documents if isinstance(documents, bytes) else b"[" + b",".join(documents) + b"]"
    return b'{"data":' + inner + b"}"
