"""PACT Action Events at ``pcf serve``: validation, storage in the registry, answers to requests.

``POST /3/events`` (PACT v3 names) and ``POST /2/events`` (v2 names) take a CloudEvent in
structured content mode. :meth:`EventInbox.receive` checks it (:func:`check_event`), keeps it
in the registry and answers 200 with an empty body; anything malformed is a 400 ``BadRequest``
with the PACT error body ``{"code", "message"}``.

What is checked (the OpenAPI schemas of PACT v3.0, ``BaseEvent`` and the four event types, and
of v2.3; ../shared/specs/pact-v3/openapi.yaml, pact-v2/openapi.yaml):

- ``specversion`` ``1.0``; ``id``, ``source`` non-empty strings; ``time`` an RFC 3339 date-time;
  ``data`` an object; ``type`` one of the endpoint's four PACT event types;
- Published: ``data.pfIds`` a non-empty list of footprint ids, each a UUID (``format: uuid``:
  the conformance harness's v3 TC40 and v2 TC21 send a URN and expect 400);
- RequestCreated, v3: the ListFootprints criteria (``productId``, ``companyId``,
  ``classification`` lists of URNs, ``geography`` a list of strings, ``validOn``,
  ``validAfter``, ``validBefore`` date-times, ``status`` ``Active`` or ``Deprecated``), at least
  one, and an optional ``comment``; v2: ``data.pf`` with ``productIds`` or ``companyIds``
  (lists of URNs), the criteria this host answers;
- RequestFulfilled: ``data.requestEventId`` and a list ``data.pfs``; RequestRejected:
  ``data.requestEventId`` and ``data.error`` ``{code, message}``.

**Storage.** Every accepted event is a row of the registry's ``pact_events`` table
(:class:`pcf.registry.store.PactEventRecord`: client, endpoint, type, id, source, the body as
received, and for a request the state of its answer). The table is bounded: it keeps the newest
:attr:`EventPolicy.keep` events (default :data:`EVENTS_KEPT`), dropping the oldest. An event
whose ``source`` and ``id`` are already kept (CloudEvents: they identify an event) is answered
200 and neither kept nor acted on twice.

**Asynchronous requests** (PACT v3 "Asynchronous request and retrieval of Product
Footprints"). The host "MUST validate the value of source before sending the response": a
client's request events are answered only at the requester host configured for that client
(:func:`pcf.serve.clients.set_callback`), and a request whose ``source`` is not that host (or
from a client without one) is refused at once with 400 (a request the host "can *immediately*
determine" it will not handle "MUST" get a 4xx). An accepted request is answered in a
background task, after the 200: the footprints matching its criteria (the ListFootprints
filters) go back as a RequestFulfilled event; none, or more than
:attr:`EventPolicy.footprints_max`, give a RequestRejected event (``NotFound``, in v2
``NoSuchFootprint``; ``BadRequest``). The event is POSTed to the requester's ``/3/events``
(``/2/events`` for a v2 request) with a bearer token from the requester's token endpoint
(OAuth 2.0 client credentials, RFC 6749 4.4, HTTP Basic), each HTTP call with a timeout of
:attr:`EventPolicy.timeout_s`, redirects not followed, and retried with exponential backoff
(:attr:`EventPolicy.backoff_s` x 1, 2, 4 ...) up to :attr:`EventPolicy.attempts` times (the
spec's "SHOULD retry ... using exponential backoff", bounded here). Each outcome is logged
(logger ``pcf.serve.events``) and stored with the event (``sent`` / ``failed`` and why). At most
:attr:`EventPolicy.pending_max` answers are under way at once; a request beyond that gets 503
``InternalError`` with ``Retry-After``. Answers still pending when the server stops are not
resent (their events stay ``pending`` in the registry).

References
----------
PACT Technical Specifications v3.0.3, rest-api.md "Action Events", openapi.yaml (events);
v2.3 openapi.yaml; CloudEvents 1.0 (structured content mode, ``source`` + ``id``); RFC 3339
(date-time); RFC 4122 (UUID string form); RFC 6749 4.4 (client credentials); WBCSD
pact-conformance-service test cases 12-16 and 40 (v3), 12-16 and 21 (v2).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlencode, urlsplit

from ..registry import open_store
from ..registry.store import PactEventRecord
from .clients import Callback
from .limits import BadRequest, parse_json

log = logging.getLogger("pcf.serve.events")

EVENTS_KEPT = 10_000
"""How many received events the registry keeps (the oldest are dropped beyond it)."""

EVENT_TYPES = {
    "v3": {"org.wbcsd.pact.ProductFootprint.PublishedEvent.3": "published",
           "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3": "request-created",
           "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3": "request-fulfilled",
           "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3": "request-rejected"},
    "v2": {"org.wbcsd.pathfinder.ProductFootprint.Published.v1": "published",
           "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1": "request-created",
           "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1": "request-fulfilled",
           "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1": "request-rejected"},
}
"""CloudEvent ``type`` -> kind, per API version (v3 names at ``/3/events``, v2 at ``/2/events``)."""

ANSWER_TYPES = {version: {kind: name for name, kind in types.items()} for version, types in EVENT_TYPES.items()}
"""Per API version, kind -> CloudEvent ``type``."""

NOT_FOUND = {"v3": "NotFound", "v2": "NoSuchFootprint"}
"""The error code of "no such footprint": v3 OpenAPI ``Error.code`` ``NotFound``; v2 Tech Specs
error codes ``NoSuchFootprint`` (404)."""

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URN = re.compile(r"^[uU][rR][nN]:")
V3_LISTS = {"productId": "productid", "companyId": "companyid", "classification": "classification",
            "geography": "geography"}
V3_DATES = {"validOn": "validon", "validAfter": "validafter", "validBefore": "validbefore"}


@dataclass(frozen=True)
class EventPolicy:
    """Bounds of event storage and answering.

    Attributes
    ----------
    keep : int
        Events kept in the registry (newest; default :data:`EVENTS_KEPT`).
    attempts : int
        Delivery attempts of one answer (token + POST each) [default 4].
    timeout_s : float
        Timeout of each HTTP call of a delivery [s] [default 10].
    backoff_s : float
        Wait before the second attempt [s]; doubled before each further one [default 1].
    pending_max : int
        Answers under way at once [default 64].
    footprints_max : int
        Most footprints one answer carries; more matching is a rejection [default 100].
    """

    keep: int = EVENTS_KEPT
    attempts: int = 4
    timeout_s: float = 10.0
    backoff_s: float = 1.0
    pending_max: int = 64
    footprints_max: int = 100


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    """A PACT error response ``{"code", "message"}`` (rest-api.md "Error responses")."""
    from starlette.responses import JSONResponse

    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


def _date_time(value) -> bool:
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _strings(value, urn: bool = False) -> bool:
    """A non-empty list of non-empty strings (URNs when ``urn``)."""
    return (isinstance(value, list) and len(value) > 0
            and all(isinstance(v, str) and v and (not urn or _URN.match(v)) for v in value))


def _check_request_v3(data: dict) -> str | None:
    for name in V3_LISTS:
        if name in data and not _strings(data[name], urn=name != "geography"):
            what = "strings" if name == "geography" else "URNs"
            return f"data.{name} must be a non-empty list of {what}"
    for name in V3_DATES:
        if name in data and not _date_time(data[name]):
            return f"data.{name} must be an RFC 3339 date-time"
    if "status" in data and data["status"] not in ("Active", "Deprecated"):
        return "data.status must be Active or Deprecated"
    if "comment" in data and not isinstance(data["comment"], str):
        return "data.comment must be a string"
    if not any(name in data for name in (*V3_LISTS, *V3_DATES, "status")):
        return ("a request names at least one criterion: productId, companyId, geography, classification, "
                "validOn, validAfter, validBefore or status")
    return None


def _check_request_v2(data: dict) -> str | None:
    pf = data.get("pf")
    if not isinstance(pf, dict):
        return "data.pf must be an object (the requested footprints' fields)"
    for name in ("productIds", "companyIds"):
        if name in pf and not _strings(pf[name], urn=True):
            return f"data.pf.{name} must be a non-empty list of URNs"
    if "productIds" not in pf and "companyIds" not in pf:
        return "data.pf must name productIds or companyIds (the criteria this host answers)"
    if "comment" in data and not isinstance(data["comment"], str):
        return "data.comment must be a string"
    return None


def check_event(body, version: str) -> str | None:
    """Why ``body`` is not a valid PACT event for API ``version`` (``v3`` or ``v2``), or None.

    See the module docstring for the rules (PACT v3.0 / v2.3 OpenAPI event schemas).
    """
    if not isinstance(body, dict):
        return "an event is a JSON object (a CloudEvent in structured content mode)"
    missing = [k for k in ("type", "specversion", "id", "source", "time", "data") if k not in body]
    if missing:
        return f"missing {', '.join(missing)}"
    for name in ("type", "specversion", "id", "source"):
        if not isinstance(body[name], str) or not body[name]:
            return f"{name} must be a non-empty string"
    if body["specversion"] != "1.0":
        return f"specversion must be 1.0 (CloudEvents 1.0), got {body['specversion']!r}"
    if not _date_time(body["time"]):
        return "time must be an RFC 3339 date-time"
    kind = EVENT_TYPES[version].get(body["type"])
    if kind is None:
        other = "v2" if version == "v3" else "v3"
        hint = f" (a PACT {other} event type: send it to /{other[1]}/events)" if body["type"] in EVENT_TYPES[other] else ""
        return f"unknown event type {body['type']!r} for PACT {version}{hint}"
    data = body["data"]
    if not isinstance(data, dict):
        return "data must be an object"
    if kind == "published":
        ids = data.get("pfIds")
        if not isinstance(ids, list) or not ids:
            return "data.pfIds must be a non-empty list of footprint ids"
        bad = [i for i in ids if not isinstance(i, str) or not _UUID.match(i)]
        if bad:
            return f"data.pfIds must be footprint ids (UUIDs); {str(bad[0])[:80]!r} is not one"
        return None
    if kind == "request-created":
        return _check_request_v3(data) if version == "v3" else _check_request_v2(data)
    if not isinstance(data.get("requestEventId"), str) or not data["requestEventId"]:
        return "data.requestEventId must be a non-empty string"
    if kind == "request-fulfilled" and not (isinstance(data.get("pfs"), list)
                                            and all(isinstance(p, dict) for p in data["pfs"])):
        return "data.pfs must be a list of footprints"
    error = data.get("error")
    if kind == "request-rejected" and not (isinstance(error, dict) and isinstance(error.get("code"), str)
                                           and isinstance(error.get("message"), str)):
        return "data.error must be an object {code, message}"
    return None


def request_criteria(body: dict, version: str) -> dict[str, list[str]]:
    """The ListFootprints criteria of a valid request event (lower-case filter names, as
    ``pcf.serve.query.pact_query`` takes them: ``{"productid": [...], ...}``)."""
    data = body["data"]
    if version == "v2":
        pf = data["pf"]
        return {name: list(pf[key]) for key, name in (("productIds", "productid"), ("companyIds", "companyid"))
                if key in pf}
    criteria = {name: list(data[key]) for key, name in V3_LISTS.items() if key in data}
    criteria.update({name: [data[key]] for key, name in V3_DATES.items() if key in data})
    if "status" in data:
        criteria["status"] = [data["status"]]
    return criteria


def _endpoint(url: str, default_scheme: str) -> tuple:
    """(scheme, host, port, path) of an event source or callback URL, without a trailing
    ``/3/events`` or ``/2/events`` (a source may name the events endpoint or the host)."""
    parts = urlsplit(url if "://" in url or url.startswith("//") else "//" + url)
    scheme = (parts.scheme or default_scheme).lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:
        port = None
    path = re.sub(r"/[23]/events/?$", "", parts.path).rstrip("/")
    return scheme, (parts.hostname or "").lower(), port, path


def same_requester(source: str, callback: Callback) -> bool:
    """Whether an event's ``source`` names the requester host of ``callback`` (scheme, host,
    port and path; a scheme-relative ``//host/path`` source takes the callback's scheme)."""
    base = _endpoint(callback.url, "https")
    return _endpoint(source, base[0]) == base


class DeliveryError(Exception):
    """An answer could not be delivered (one attempt)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an error: credentials and footprints go only where configured


_OPENER = urllib.request.build_opener(_NoRedirect)


def _http(url: str, body: bytes, headers: dict, timeout: float) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.read(1_000_000)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def deliver(callback: Callback, version: str, event: dict, timeout: float) -> None:
    """One delivery attempt: a token from the requester's token endpoint (client credentials,
    HTTP Basic), then ``POST`` of ``event`` to its ``/3/events`` (``/2/events`` for ``v2``).

    Raises
    ------
    DeliveryError
        A network error, a timeout, a redirect, a non-2xx answer or a token response without
        ``access_token``.
    """
    basic = base64.b64encode(f"{callback.client_id}:{callback.client_secret}".encode("utf-8")).decode("ascii")
    raw = _http(callback.token_url, urlencode({"grant_type": "client_credentials"}).encode("ascii"),
                {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded",
                 "Accept": "application/json"}, timeout)
    try:
        token = json.loads(raw)["access_token"]
    except (ValueError, KeyError, TypeError):
        raise DeliveryError(f"{callback.token_url}: no access_token in the answer") from None
    if not isinstance(token, str) or not token:
        raise DeliveryError(f"{callback.token_url}: no access_token in the answer")
    _http(f"{callback.url}/{version[1]}/events", json.dumps(event).encode("utf-8"),
          {"Authorization": f"Bearer {token}", "Content-Type": "application/cloudevents+json; charset=UTF-8"},
          timeout)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def answer_event(request: dict, version: str, footprints: list[dict] | None, error: dict | None,
                 source: str) -> dict:
    """The RequestFulfilled (``footprints``) or RequestRejected (``error``) CloudEvent answering
    ``request``; ``source`` names this host's events endpoint."""
    kind = "request-fulfilled" if error is None else "request-rejected"
    data = {"requestEventId": request["id"]}
    data.update({"pfs": footprints} if error is None else {"error": error})
    return {"type": ANSWER_TYPES[version][kind], "specversion": "1.0", "id": str(uuid.uuid4()),
            "source": source, "time": _now(), "data": data}


class EventInbox:
    """Receives the events of one host, keeps them in the registry, answers request events.

    Parameters
    ----------
    registry : str or Path or None
        The registry holding ``pact_events``.
    callbacks : dict
        ``{client id: Callback}`` (:attr:`pcf.serve.clients.Clients.callbacks`).
    find : callable
        ``find(version, criteria) -> list of footprint documents`` (the ListFootprints
        filters, :func:`request_criteria`); run in a worker thread.
    policy : EventPolicy, optional
        Bounds (default :class:`EventPolicy`).

    Attributes
    ----------
    public_url : str or None
        The host's public base URL (``pcf serve --public-url``) for the ``source`` of answer
        events; None: the scheme and local address of the connection (never the ``Host`` header).
    """

    public_url: str | None = None

    def __init__(self, registry, callbacks: dict, find, policy: EventPolicy | None = None):
        self.registry, self.callbacks, self.find = registry, callbacks, find
        self.policy = policy or EventPolicy()
        self.tasks: set[asyncio.Task] = set()

    def _keep(self, record: PactEventRecord) -> PactEventRecord | None:
        with open_store(self.registry, create=False) as store, store.write() as tx:
            return tx.add_pact_event(record, self.policy.keep)

    def _mark(self, seq: int, answer: str, note: str) -> None:
        with open_store(self.registry, create=False) as store, store.write() as tx:
            tx.set_pact_answer(seq, answer, note)

    def stored(self, limit: int | None = None) -> list[PactEventRecord]:
        """The events kept in the registry, oldest first (the newest ``limit``)."""
        with open_store(self.registry, create=False) as store, store.read() as tx:
            return tx.pact_events(limit)

    async def receive(self, request, client_id: str, version: str):
        """``POST /3/events`` or ``/2/events`` by an authenticated client: 200 with an empty body
        (kept; a request answered in the background), 400 ``BadRequest`` (malformed, or a request
        this host does not answer), 503 (too many answers under way).

        Raises
        ------
        pcf.registry.RegistryError
            The registry cannot be written (the server answers 500).
        """
        from starlette.responses import Response

        try:
            body = parse_json(await request.body())  # depth-limited, no NaN (pcf.serve.limits)
        except BadRequest as exc:
            return error_response(400, "BadRequest", f"{exc} (a CloudEvent in structured content mode)")
        problem = check_event(body, version)
        if problem:
            return error_response(400, "BadRequest", problem)
        kind = EVENT_TYPES[version][body["type"]]
        callback = self.callbacks.get(client_id)
        if kind == "request-created":
            if callback is None:
                return error_response(400, "BadRequest", f"this host answers requests only at a requester host "
                                      f"configured for the client; none is configured for {client_id!r}")
            if not same_requester(body["source"], callback):
                return error_response(400, "BadRequest", f"source {body['source'][:200]!r} is not the requester host "
                                      f"configured for client {client_id!r}; answers go only there")
            if len(self.tasks) >= self.policy.pending_max:
                return error_response(503, "InternalError", "too many requests are being answered; send it again "
                                      "later", headers={"Retry-After": "10"})
        record = PactEventRecord(0, _now(), client_id, version, body["type"], body["id"], body["source"],
                                 json.dumps(body), "pending" if kind == "request-created" else None)
        kept = await asyncio.to_thread(self._keep, record)
        if kept is None:
            log.info("event %s from %s (client %s) received again: already kept", body["id"], body["source"], client_id)
            return Response(status_code=200)
        log.info("event %s %s from %s (client %s) kept as #%d", body["type"], body["id"], body["source"], client_id,
                 kept.seq)
        if kind == "request-created":
            base = self.public_url or f"{request.scope.get('scheme', 'https')}://{_server(request)}"
            source = f"{base}/{version[1]}/events"
            task = asyncio.get_running_loop().create_task(self.answer(kept.seq, body, version, callback, source))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return Response(status_code=200)

    async def answer(self, seq: int, request: dict, version: str, callback: Callback, source: str) -> str:
        """Answer request event ``request`` (kept as ``seq``): find the footprints, build the
        answer event and deliver it (bounded retries); record and return the outcome."""
        policy = self.policy
        try:
            found = await asyncio.to_thread(self.find, version, request_criteria(request, version))
            if not found:
                error = {"code": NOT_FOUND[version], "message": "no footprint matches the request's criteria"}
            elif len(found) > policy.footprints_max:
                error = {"code": "BadRequest", "message": f"{len(found)} footprints match, more than the "
                         f"{policy.footprints_max} one answer carries: narrow the criteria"}
            else:
                error = None
        except Exception as exc:  # noqa: BLE001 - any failure to read becomes a rejection, never a lost request
            found, error = [], {"code": "InternalError", "message": f"the footprints cannot be read: {exc}"}
        event = answer_event(request, version, found if error is None else None, error, source)
        what = f"{event['type']} {event['id']} for request {request['id']} to {callback.url}"
        outcome, note = "failed", ""
        for attempt in range(1, policy.attempts + 1):
            try:
                await asyncio.to_thread(deliver, callback, version, event, policy.timeout_s)
            except DeliveryError as exc:
                note = f"attempt {attempt} of {policy.attempts}: {exc}"
                log.warning("answer %s: %s", what, note)
                if attempt < policy.attempts:
                    await asyncio.sleep(policy.backoff_s * 2 ** (attempt - 1))
                continue
            outcome, note = "sent", f"{event['type']} {event['id']} at attempt {attempt}"
            log.info("answer %s sent (attempt %d)", what, attempt)
            break
        else:
            log.error("answer %s given up after %d attempts", what, policy.attempts)
        try:
            await asyncio.to_thread(self._mark, seq, outcome, note)
        except Exception as exc:  # noqa: BLE001 - logged; the answer itself is done
            log.error("answer %s: its state could not be recorded: %s", what, exc)
        return outcome


def _server(request) -> str:
    """``host:port`` of the socket the request came in on (never the ``Host`` header)."""
    server = request.scope.get("server") or ("localhost", None)
    host, port = server[0], server[1]
    host = f"[{host}]" if ":" in str(host) else host
    return f"{host}:{port}" if port else str(host)


def log_to_stderr() -> None:
    """Print this module's log (answers sent, retried, given up) on standard error, as uvicorn
    prints its own (``pcf serve``)."""
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
