"""``pcf serve``: a read-only PACT host system over the registry's issued footprints.

Actions (PACT Technical Specifications v3.0, REST API; v2.3 under ``/2``):

==============================  ============================================================
``POST /auth/token``            Action Authenticate: OAuth 2.0 client credentials (RFC 6749 4.4),
                                HTTP Basic or form ``client_id`` / ``client_secret``; a bearer
                                token valid :data:`TOKEN_TTL_S`. Wrong credentials: 401
                                ``invalid_client`` (RFC 6749 5.2, header authentication)
``GET /3/footprints``           Action ListFootprints: filters ``productId``, ``companyId``,
                                ``geography``, ``classification`` (OR within, AND across,
                                case-insensitive), ``validOn``, ``validAfter``, ``validBefore``,
                                ``status``; ``limit`` with an absolute ``Link: <...>; rel="next"``
                                on the request's host (stateless offsets, valid indefinitely)
``GET /3/footprints/{id}``      Action GetFootprint; 404 ``NotFound`` for an unknown id (v2:
                                ``NoSuchFootprint``, the v2 error code)
``POST /3/events``              Action Events: CloudEvents (``application/cloudevents+json``) of
                                the four PACT types are validated, kept in the registry (bounded)
                                and accepted (200, empty body); a request is answered
                                asynchronously at the requester's host (:mod:`pcf.serve.events`)
``GET`` any other path          the labels' live verification pages at the QR code's path
                                (:mod:`pcf.serve.live`; the only routes without ``--results``
                                and ``--clients``)
==============================  ============================================================

Errors are ``{"code", "message"}``: no ``Authorization`` header 403 ``AccessDenied``, an
unknown token 400 ``BadRequest`` ("Invalid token provided", as the PACT conformance tests
expect), an expired one 401 ``TokenExpired``, bad parameters 400 ``BadRequest``, the v2 OData
``$filter`` 400 ``NotImplemented``.

Stack: Starlette (routing, requests, responses; small, no framework beyond what is used) on
uvicorn (HTTP/1.1 with h11, TLS through ``ssl_certfile``/``ssl_keyfile``). The standard
library's ``http.server`` is documented as not for production use and has no TLS server
handling beyond wrapping sockets by hand. Plain HTTP is served on a loopback address only:
PACT requires HTTPS between companies, so a public address needs ``--tls-cert``/``--tls-key``
(or a TLS-terminating reverse proxy in front of the loopback default).

References
----------
PACT Technical Specifications v3.0.3 (../shared/specs/pact-v3/openapi.yaml, rest-api.md);
WBCSD pact-conformance-service, docs/v3-test-cases-expected-results.md (test cases 1-37);
RFC 6749 (OAuth 2.0), RFC 8288 (Link header), CloudEvents 1.0 (structured content mode).
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import secrets
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from ..core.errors import PCFError
from ..registry import open_store
from .clients import Clients
from .events import EventInbox, EventPolicy, log_to_stderr
from .host import FootprintSource
from .live import LivePages
from .query import FILTERS

TOKEN_TTL_S = 3600
"""Lifetime of an access token [s]."""
PAGE_MAX = 100
"""Most footprints per response when the client gives no (or a larger) ``limit``."""



class ServeError(PCFError):
    """The server cannot start as asked (plain HTTP on a public address, a missing file)."""


def _error(status: int, code: str, message: str, headers: dict | None = None):
    from starlette.responses import JSONResponse

    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)


class Tokens:
    """Issued bearer tokens in memory: ``token -> (client id, expiry [monotonic s])``."""

    def __init__(self, ttl: float = TOKEN_TTL_S, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def new(self, client_id: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}  # drop expired ones
            self._tokens[token] = (client_id, now + self.ttl)
        return token

    def check(self, token: str) -> str:
        """``valid``, ``expired`` or ``unknown``."""
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None:
            return "unknown"
        return "valid" if entry[1] > self.clock() else "expired"

    def client(self, token: str) -> str | None:
        """The client id of a valid token (None: unknown or expired)."""
        with self._lock:
            entry = self._tokens.get(token)
        return entry[0] if entry is not None and entry[1] > self.clock() else None


def build_app(source: FootprintSource | None, clients: Clients | None, token_ttl: float = TOKEN_TTL_S,
              pages: LivePages | None = None, events: EventPolicy | None = None):
    """The PACT host API and the live label pages as a Starlette application (see the module docstring).

    The PACT endpoints are the methods of :class:`_PactHost`: token, list and get footprints (v3
    under ``/3``, v2 under ``/2``), events. The label pages (:class:`pcf.serve.live.LivePages`)
    answer every other ``GET``.

    Parameters
    ----------
    source : FootprintSource or None
        The registry's labels and the results they were issued for (None: no PACT API).
    clients : Clients or None
        Registered client credentials (None together with ``source``).
    token_ttl : float
        Access-token lifetime [s].
    pages : LivePages, optional
        The live verification pages (None: not served).
    events : EventPolicy, optional
        Bounds of event storage and of answering requests (:mod:`pcf.serve.events`).
    """
    from starlette.applications import Starlette
    from starlette.routing import Route

    routes = []
    host = None
    if source is not None:
        host = _PactHost(source, clients, Tokens(token_ttl), token_ttl)
        host.inbox = EventInbox(source.registry, clients.callbacks, source.find, events)
        routes.append(Route("/auth/token", host.token, methods=["POST"]))
        for version, prefix in (("v3", "/3"), ("v2", "/2")):
            routes += [
                Route(f"{prefix}/footprints", lambda r, v=version: host.list_footprints(r, v), methods=["GET"]),
                Route(prefix + "/footprints/{id}", lambda r, v=version: host.get_footprint(r, v), methods=["GET"]),
                Route(f"{prefix}/events", functools.partial(host.event, version=version), methods=["POST"]),
            ]
    if pages is not None:
        routes.append(Route("/{path:path}", pages.endpoint, methods=["GET", "HEAD"]))
    app = Starlette(routes=routes)
    app.state.inbox = host.inbox if host is not None else None
    return app


class _PactHost:
    """The endpoints of one PACT host application and what they share: the footprint
    ``source``, the registered ``clients``, the issued ``tokens`` (lifetime ``token_ttl``
    [s]) and the ``inbox`` of received events (:class:`pcf.serve.events.EventInbox`)."""

    inbox: EventInbox

    def __init__(self, source: FootprintSource, clients: Clients, tokens: Tokens, token_ttl: float):
        self.source, self.clients, self.tokens, self.token_ttl = source, clients, tokens, token_ttl

    async def token(self, request):
        """``POST /auth/token``: an access token for valid client credentials (HTTP Basic or
        form fields; ``grant_type=client_credentials``)."""
        from starlette.responses import JSONResponse

        body = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(body))
        client_id = secret = None
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                client_id, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = None
        elif "client_id" in form:
            client_id, secret = form.get("client_id"), form.get("client_secret", "")
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type",
                                 "error_description": "use grant_type=client_credentials"}, status_code=400)
        if not client_id or not self.clients.check(client_id, secret or ""):
            return JSONResponse({"error": "invalid_client", "error_description": "Authentication failed"},
                                status_code=401, headers={"WWW-Authenticate": 'Basic realm="pcf"'})
        return JSONResponse({"access_token": self.tokens.new(client_id), "token_type": "bearer",
                             "expires_in": int(self.token_ttl), "scope": "footprint:list footprint:read"},
                            headers={"Cache-Control": "no-store"})

    def denied(self, request):
        """The error response for a missing, unknown or expired bearer token; None for a valid one."""
        header = request.headers.get("authorization")
        if not header:
            return _error(403, "AccessDenied", "Access denied: send Authorization: Bearer <token> from POST /auth/token")
        scheme, _, value = header.partition(" ")
        state = self.tokens.check(value.strip()) if scheme.lower() == "bearer" and value.strip() else "unknown"
        if state == "unknown":
            return _error(400, "BadRequest", "Invalid token provided")
        if state == "expired":
            return _error(401, "TokenExpired", "The specified access token has expired")
        return None

    def list_footprints(self, request, version: str):
        """``GET /3/footprints`` or ``/2/footprints``: the footprints matching the v3 filters,
        one page (``limit``, ``offset``; a ``Link`` header to the next page)."""
        from starlette.responses import Response

        refusal = self.denied(request)
        if refusal is not None:
            return refusal
        params = request.query_params.multi_items()
        if any(k == "$filter" for k, _ in params):
            return _error(400, "NotImplemented", "the OData $filter (PACT v2) is not implemented; use the v3 filters "
                                                 "(productId, companyId, geography, classification, validOn, ...)")
        criteria: dict[str, list[str]] = {}
        limit, offset = None, 0
        for key, value in params:
            name = key.lower()
            if name in FILTERS:
                criteria.setdefault(name, []).append(value)
            elif name in ("limit", "offset"):
                if not value.isdigit() or (name == "limit" and int(value) < 1):
                    return _error(400, "BadRequest", f"{key} must be a positive integer, got {value!r}")
                limit, offset = (int(value), offset) if name == "limit" else (limit, int(value))
        size = min(limit or PAGE_MAX, PAGE_MAX)
        try:  # filters and the page in the registry's SQL (pcf.serve.query)
            body, more = self.source.page(version, criteria, size, offset)
        except ValueError as exc:
            return _error(400, "BadRequest", f"a date criterion is not an ISO 8601 date-time: {exc}")
        except PCFError as exc:
            return _unavailable(exc)
        headers = {"Link": _next_page_link(request, params, size, offset)} if more else {}
        return Response(body, media_type="application/json", headers=headers)

    def get_footprint(self, request, version: str):
        """``GET /3/footprints/{id}`` or ``/2/footprints/{id}``: one footprint by id (case-insensitive)."""
        from starlette.responses import Response

        refusal = self.denied(request)
        if refusal is not None:
            return refusal
        try:
            body = self.source.document(version, request.path_params["id"])
        except PCFError as exc:
            return _unavailable(exc)
        if body is not None:
            return Response(body, media_type="application/json")
        code = "NotFound" if version == "v3" else "NoSuchFootprint"  # v2 Tech Specs error codes: NoSuchFootprint 404
        return _error(404, code, f"Footprint with ID {request.path_params['id']!r} does not exist")

    async def event(self, request, version: str):
        """``POST /3/events`` or ``/2/events``: a CloudEvent, checked, kept and (a request) answered
        by the :attr:`inbox` (:meth:`pcf.serve.events.EventInbox.receive`)."""
        refusal = self.denied(request)
        if refusal is not None:
            return refusal
        client = self.tokens.client(request.headers["authorization"].partition(" ")[2].strip())
        try:
            return await self.inbox.receive(request, client or "", version)
        except PCFError as exc:
            return _unavailable(exc)


def _unavailable(exc: Exception):
    """The 500 response when the registry cannot be read."""
    return _error(500, "InternalError", f"the registry cannot be read: {exc}")


def _next_page_link(request, params: list[tuple[str, str]], size: int, offset: int) -> str:
    """The ``Link`` header value to the page after ``offset`` (same criteria, ``limit`` ``size``)."""
    query = [(k, v) for k, v in params if k.lower() not in ("limit", "offset")]
    query += [("limit", str(size)), ("offset", str(offset + size))]
    host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
    return f'<{request.url.scheme}://{host}{request.url.path}?{urlencode(query)}>; rel="next"'


def check_address(host: str, tls: bool) -> None:
    """Plain HTTP only on a loopback address.

    Raises
    ------
    ServeError
        ``host`` is not a loopback address and no TLS certificate is given.
    """
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not tls:
        raise ServeError(f"serving footprints over plain HTTP on {host} is refused (PACT requires HTTPS between "
                         "companies): give a TLS certificate and key, or keep the loopback default behind a TLS "
                         "proxy").about("tls_cert")


def serve(registry, results=None, clients_file=None, host: str = "127.0.0.1", port: int = 8080,
          tls_cert=None, tls_key=None) -> None:
    """Run the live label pages and, with ``results`` and ``clients_file``, the PACT host API until
    interrupted (uvicorn).

    Parameters
    ----------
    registry : str or Path or None
        The label registry (default ``PCF_HOME/registry.db``).
    results : str or Path, optional
        Folder of the result files the labels were issued for (PACT API).
    clients_file : str or Path, optional
        Client credentials (:mod:`pcf.serve.clients`) (PACT API; give both or neither).
    host, port : str, int
        Address to listen on; loopback by default.
    tls_cert, tls_key : str or Path, optional
        PEM certificate (chain) and key for HTTPS.

    Raises
    ------
    ServeError
        Plain HTTP on a public address, only one of the TLS files, only one of ``results`` and
        ``clients_file``, or a missing file.
    ClientsError
        The clients file is missing or malformed.
    RegistryError
        No registry at ``registry``.
    """
    import uvicorn

    if (tls_cert is None) != (tls_key is None):
        raise ServeError("give both the TLS certificate and its key").about("tls_key" if tls_key is None else "tls_cert")
    if (results is None) != (clients_file is None):
        raise ServeError("the PACT API needs both the results folder and the clients file; give both, or neither "
                         "to serve only the label pages").about("clients_file" if clients_file is None else "results")
    check_address(host, tls_cert is not None)
    for name, path in (("results", results), ("tls_cert", tls_cert), ("tls_key", tls_key)):
        if path is not None and not Path(path).exists():
            raise ServeError(f"{path}: no such file or folder").about(name)
    open_store(registry, create=False).close()  # a missing registry stops here, not at the first request
    source = FootprintSource(registry, results) if results is not None else None
    if source is not None:
        source.prepare()  # every label's documents exported (once) before the first request
    clients = Clients.load(clients_file) if clients_file is not None else None
    app = build_app(source, clients, pages=LivePages(registry))
    log_to_stderr()
    uvicorn.run(app, host=host, port=port, ssl_certfile=str(tls_cert) if tls_cert else None,
                ssl_keyfile=str(tls_key) if tls_key else None, log_level="info")
