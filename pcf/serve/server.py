"""``pcf serve``: a read-only PACT host system over the registry's issued footprints.

Actions (PACT Technical Specifications v3.0, REST API; v2.3 under ``/2``):

==============================  ============================================================
``POST /auth/token``            Action Authenticate: OAuth 2.0 client credentials (RFC 6749 4.4),
                                HTTP Basic or form ``client_id`` / ``client_secret``; a bearer
                                token valid :data:`TOKEN_TTL_S`, kept hashed in the registry.
                                Wrong credentials: 401 ``invalid_client`` (RFC 6749 5.2, header
                                authentication); too many: 429 (:mod:`pcf.serve.auth`)
``GET /3/footprints``           Action ListFootprints: filters ``productId``, ``companyId``,
                                ``geography``, ``classification`` (OR within, AND across,
                                case-insensitive), ``validOn``, ``validAfter``, ``validBefore``,
                                ``status``; ``limit`` with an absolute ``Link: <...>; rel="next"``
                                on the configured public URL, never the ``Host`` header
                                (stateless offsets, valid indefinitely; parameters checked by
                                :mod:`pcf.serve.limits`)
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
``$filter`` 400 ``NotImplemented``, a body over 1 MiB 413 (:mod:`pcf.serve.limits`).

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

import functools
import ipaddress
import time
from pathlib import Path

from ..core.errors import PCFError
from ..core.extras import EXTRAS, require
from ..registry import open_store
from .auth import TOKEN_TTL_S, Authenticator, RateLimit, TokenStore
from .clients import Clients
from .events import EventInbox, EventPolicy, log_to_stderr
from .host import FootprintSource
from .limits import (PAGE_MAX, BadRequest, RequestLimits, bound_url, http_error, internal_error, list_query, page_link,
                     public_base)
from .live import LivePages

__all__ = ["PAGE_MAX", "TOKEN_TTL_S", "ServeError", "build_app", "check_address", "serve"]


SERVER_PURPOSE = "pcf serve runs the label pages and the PACT host API"


class ServeError(PCFError):
    """The server cannot start as asked (plain HTTP on a public address, a missing file)."""


def _error(status: int, code: str, message: str, headers: dict | None = None):
    from starlette.responses import JSONResponse

    return JSONResponse({"code": code, "message": message}, status_code=status, headers=headers)




def build_app(source: FootprintSource | None, clients: Clients | None, token_ttl: float = TOKEN_TTL_S,
              pages: LivePages | None = None, events: EventPolicy | None = None, public_url: str | None = None,
              clock=time.time, rate_limit: RateLimit | None = None):
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
    public_url : str, optional
        The host's public base URL for absolute URLs (``https://pcf.example.com``); default the
        scheme and local address of the connection (the bound address), never the ``Host`` header.
    clock : callable
        ``clock() -> float`` [s since 1970 UTC] for token expiry and the rate limit.
    rate_limit : RateLimit, optional
        The ``/auth/token`` rate limit (default :class:`pcf.serve.auth.RateLimit` on ``clock``).

    Raises
    ------
    BadRequest
        ``public_url`` is not an absolute http(s) URL.
    MissingExtra
        starlette (extra ``server``) is not installed.
    """
    require("server", "starlette", SERVER_PURPOSE)
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    routes = []
    host = None
    if source is not None:
        tokens = TokenStore(source.registry, token_ttl, clock, store=source.thread_store)
        auth = Authenticator(clients, tokens, rate_limit or RateLimit(clock=clock))
        host = _PactHost(source, auth, public_base(public_url) if public_url else None)
        host.inbox = EventInbox(source.registry, clients.callbacks, source.find, events)
        host.inbox.public_url = host.public_url
        routes.append(Route("/auth/token", host.token, methods=["POST"]))
        for version, prefix in (("v3", "/3"), ("v2", "/2")):
            routes += [
                Route(f"{prefix}/footprints", lambda r, v=version: host.list_footprints(r, v), methods=["GET"]),
                Route(prefix + "/footprints/{id}", lambda r, v=version: host.get_footprint(r, v), methods=["GET"]),
                Route(f"{prefix}/events", functools.partial(host.event, version=version), methods=["POST"]),
            ]
    if pages is not None:
        routes.append(Route("/{path:path}", pages.endpoint, methods=["GET", "HEAD"]))
    from starlette.exceptions import HTTPException

    app = Starlette(routes=routes, middleware=[Middleware(RequestLimits)],
                    exception_handlers={HTTPException: http_error, Exception: internal_error})
    app.state.inbox = host.inbox if host is not None else None
    return app


class _PactHost:
    """The endpoints of one PACT host application and what they share: the footprint
    ``source``, the authentication ``auth`` (registered clients, issued ``tokens``:
    :mod:`pcf.serve.auth`), the ``public_url`` of absolute URLs (None: the connection's local
    address) and the ``inbox`` of received events (:class:`pcf.serve.events.EventInbox`)."""

    inbox: EventInbox

    def __init__(self, source: FootprintSource, auth: Authenticator, public_url: str | None = None):
        self.source, self.auth, self.public_url = source, auth, public_url
        self.clients, self.tokens = auth.clients, auth.tokens

    async def token(self, request):
        """``POST /auth/token`` (:meth:`pcf.serve.auth.Authenticator.token`)."""
        return await self.auth.token(request)

    def denied(self, request):
        """The error response for a missing, unknown or expired bearer token; None for a valid one."""
        return self.auth.denied(request)

    def base_url(self, request) -> str:
        """The public base URL: configured, else the scheme and local address the connection
        came in on (ASGI ``server``), never the client's ``Host`` header."""
        if self.public_url:
            return self.public_url
        host, port = request.scope.get("server") or ("127.0.0.1", 80)
        return bound_url(request.scope.get("scheme", "http"), host, port)

    def list_footprints(self, request, version: str):
        """``GET /3/footprints`` or ``/2/footprints``: the footprints matching the v3 filters,
        one page (``limit``, ``offset``; a ``Link`` header to the next page)."""
        from starlette.responses import Response

        refusal = self.denied(request)
        if refusal is not None:
            return refusal
        params = request.query_params.multi_items()
        params = [(k, v) for k, v in params if not (k == "$filter" and not v.strip())]  # an empty one: no filter
        if any(k == "$filter" for k, _ in params):
            return _error(400, "NotImplemented", "the OData $filter (PACT v2) is not implemented; use the v3 filters "
                                                 "(productId, companyId, geography, classification, validOn, ...)")
        try:
            query = list_query(params)  # every malformed parameter is a 400 (pcf.serve.limits)
        except BadRequest as exc:
            return _error(400, "BadRequest", str(exc))
        if query.nothing:  # a criterion whose every value holds a NUL
            return Response(b'{"data":[]}', media_type="application/json")
        try:  # filters and the page in the registry's SQL (pcf.serve.query)
            body, more = self.source.page(version, query.criteria, query.size, query.offset)
        except ValueError as exc:
            return _error(400, "BadRequest", f"a date criterion is not an ISO 8601 date-time: {exc}")
        except PCFError as exc:
            return _unavailable(exc)
        headers = {"Link": page_link(self.base_url(request), request.url.path, query)} if more else {}
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
        from starlette.concurrency import run_in_threadpool

        refusal = await run_in_threadpool(self.denied, request)  # a registry read for a token not seen yet
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


def _default_url(host: str, port: int, tls: bool) -> str | None:
    """The base URL of the bind address (None for a wildcard address: each connection's own)."""
    if host in ("0.0.0.0", "::", ""):
        return None
    return bound_url("https" if tls else "http", host, port)


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
          tls_cert=None, tls_key=None, public_url: str | None = None) -> None:
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
    public_url : str, optional
        The base URL clients reach the host at (``https://pcf.example.com``), for absolute URLs
        (``Link`` headers, the ``source`` of answer events); default the scheme, ``host`` and
        ``port`` (for a wildcard address such as ``0.0.0.0``: the local address of each
        connection). Never the ``Host`` header.

    Raises
    ------
    ServeError
        Plain HTTP on a public address, only one of the TLS files, only one of ``results`` and
        ``clients_file``, a missing file, or a public URL that is not an absolute http(s) URL.
    ClientsError
        The clients file is missing or malformed.
    RegistryError
        No registry at ``registry``.
    MissingExtra
        starlette, uvicorn or anyio (extra ``server``) is not installed.
    """
    for module in EXTRAS["server"]:  # before anything is opened
        require("server", module, SERVER_PURPOSE)
    import uvicorn

    if (tls_cert is None) != (tls_key is None):
        raise ServeError("give both the TLS certificate and its key").about("tls_key" if tls_key is None else "tls_cert")
    if (results is None) != (clients_file is None):
        raise ServeError("the PACT API needs both the results folder and the clients file; give both, or neither "
                         "to serve only the label pages").about("clients_file" if clients_file is None else "results")
    check_address(host, tls_cert is not None)
    try:
        public_url = public_base(public_url) if public_url else _default_url(host, port, tls_cert is not None)
    except BadRequest as exc:
        raise ServeError(str(exc)).about("public_url") from None
    for name, path in (("results", results), ("tls_cert", tls_cert), ("tls_key", tls_key)):
        if path is not None and not Path(path).exists():
            raise ServeError(f"{path}: no such file or folder").about(name)
    open_store(registry, create=False).close()  # a missing registry stops here, not at the first request
    source = FootprintSource(registry, results) if results is not None else None
    if source is not None:
        source.prepare()  # every label's documents exported (once) before the first request
    clients = Clients.load(clients_file) if clients_file is not None else None
    app = build_app(source, clients, pages=LivePages(registry), public_url=public_url)
    log_to_stderr()
    uvicorn.run(app, host=host, port=port, ssl_certfile=str(tls_cert) if tls_cert else None,
                ssl_keyfile=str(tls_key) if tls_key else None, log_level="info")
