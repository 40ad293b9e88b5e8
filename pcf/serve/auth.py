"""Action Authenticate of the PACT host: access tokens, the rate limit, and the password hash
off the event loop.

- **Tokens** (:class:`TokenStore`): 256-bit random (``secrets.token_urlsafe(32)``), valid
  :data:`TOKEN_TTL_S`; the registry keeps their SHA-256 with the client id and expiry
  (:mod:`pcf.registry.tokenstore`), so a token survives a restart of ``pcf serve`` and is
  accepted by every server on the same registry. A token seen valid is remembered in memory
  until it expires (at most :data:`CACHE_MAX` of them), so a request costs a registry read
  only the first time a server sees its token.
- **Rate limit** (:class:`RateLimit`): at most :data:`FAILURES_MAX` failed authentications per
  :data:`WINDOW_S` seconds (a sliding window) per client id, or per remote address when the id
  is not a registered client (or none is given). Beyond that ``POST /auth/token`` answers 429
  with ``Retry-After`` (seconds until the oldest failure leaves the window) and the OAuth error
  body ``{"error": "slow_down", "error_description"}`` (RFC 8628 3.5 registers ``slow_down``
  in the OAuth extensions error registry, RFC 6749 8.5), without computing the hash. A
  successful authentication clears the client's failures. Trade-off: someone who knows a
  client id can keep that client locked out by failing on purpose (for :data:`WINDOW_S` after
  the last burst); the window is short, the server logs every 429, and an address-only limit
  would let a botnet guess one client's secret from many addresses. Behind a reverse proxy
  every request comes from the proxy's address: unknown ids then share one allowance.
- **Hashing off the event loop**: the scrypt check of a client secret (N = 2^14, r = 8, about
  16 MiB and 50 ms each; :mod:`pcf.serve.clients`) runs in a worker thread, at most
  :data:`HASH_THREADS` at once (``hashlib.scrypt`` releases the GIL), so other requests are
  served while secrets are checked; token issuance (a registry write) runs in a thread too.

References
----------
RFC 6749 (OAuth 2.0) 4.4, 5.1, 5.2; RFC 6585 4 (429 Too Many Requests); RFC 9110 10.2.3
(Retry-After); RFC 8628 3.5 (``slow_down``); PACT Technical Specifications v3.0.3, rest-api.md
"Action Authenticate".
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from urllib.parse import parse_qsl

from ..core.errors import PCFError
from ..registry import open_store
from ..registry.tokenstore import AccessToken

TOKEN_TTL_S = 3600
"""Lifetime of an access token [s]."""
FAILURES_MAX = 10
"""Failed authentications allowed per client id (or remote address) within :data:`WINDOW_S`."""
WINDOW_S = 300
"""The rate limit's sliding window [s]."""
HASH_THREADS = 2
"""Client-secret hashes computed at once (each about 16 MiB of memory)."""
CACHE_MAX = 10_000
"""Valid tokens remembered in memory per server."""
KEYS_MAX = 10_000
"""Client ids and addresses the rate limit tracks at once (the oldest are dropped beyond)."""


def token_hash(token: str) -> str:
    """The hex SHA-256 of a token's UTF-8 bytes (what the registry keeps)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    """Access tokens kept hashed in the registry (see the module docstring).

    Parameters
    ----------
    registry : str or Path or None
        The registry location (default ``PCF_HOME/registry.db`` or ``PCF_REGISTRY_URL``).
    ttl : float
        Token lifetime [s].
    clock : callable
        ``clock() -> float``, seconds since 1970-01-01 UTC (default :func:`time.time`).
    store : callable, optional
        ``store() -> Store``: an open registry connection for the calling thread, kept open by
        its owner (:meth:`pcf.serve.host.FootprintSource.thread_store`), so that a check does not
        connect anew (PostgreSQL: a connection per unknown token would be a cheap attack);
        default: open and close the registry per operation.
    """

    def __init__(self, registry, ttl: float = TOKEN_TTL_S, clock=time.time, store=None):
        self.registry, self.ttl, self.clock, self._store = registry, ttl, clock, store
        self._valid: OrderedDict[str, tuple[str, float]] = OrderedDict()  # sha -> (client id, expiry [s])
        self._lock = threading.Lock()

    def new(self, client_id: str) -> str:
        """Issue a token for ``client_id`` and keep its hash (a registry write).

        Raises
        ------
        pcf.registry.RegistryError
            The registry cannot be written.
        """
        token = secrets.token_urlsafe(32)
        now = self.clock()
        record = AccessToken(token_hash(token), client_id, int(now * 1000), int((now + self.ttl) * 1000))
        with self._connection() as store, store.write() as tx:
            tx.add_token(record)
        self._remember(record.token_sha256, client_id, record.expires_ms / 1000)
        return token

    @contextlib.contextmanager
    def _connection(self):
        if self._store is not None:
            yield self._store()
            return
        with open_store(self.registry, create=False) as store:
            yield store

    def _remember(self, sha: str, client_id: str, expires: float) -> None:
        with self._lock:
            self._valid[sha] = (client_id, expires)
            while len(self._valid) > CACHE_MAX:
                self._valid.popitem(last=False)

    def _lookup(self, token: str) -> tuple[str, float] | None:
        sha = token_hash(token)
        with self._lock:
            entry = self._valid.get(sha)
        if entry is not None:
            return entry
        with self._connection() as store, store.read() as tx:
            record = tx.token(sha)
        if record is None:
            return None
        entry = (record.client_id, record.expires_ms / 1000)
        if entry[1] > self.clock():
            self._remember(sha, *entry)
        return entry

    def check(self, token: str) -> str:
        """``valid``, ``expired`` or ``unknown``.

        Raises
        ------
        pcf.registry.RegistryError
            The registry cannot be read.
        """
        entry = self._lookup(token) if token else None
        if entry is None:
            return "unknown"
        return "valid" if entry[1] > self.clock() else "expired"

    def client(self, token: str) -> str | None:
        """The client id of a valid token (None: unknown or expired)."""
        entry = self._lookup(token) if token else None
        return entry[0] if entry is not None and entry[1] > self.clock() else None


class RateLimit:
    """Failed attempts per key in a sliding window (see the module docstring).

    Parameters
    ----------
    failures : int
        Failures allowed within ``window``.
    window : float
        The window [s].
    clock : callable
        ``clock() -> float`` [s] (default :func:`time.time`).
    """

    def __init__(self, failures: int = FAILURES_MAX, window: float = WINDOW_S, clock=time.time):
        self.failures, self.window, self.clock = failures, window, clock
        self._seen: OrderedDict[tuple, deque] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: tuple, now: float) -> deque:
        times = self._seen.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, key: tuple) -> int | None:
        """Seconds until ``key`` may try again (at least 1), or None when it may now."""
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            if len(times) < self.failures:
                return None
            return max(1, math.ceil(times[-self.failures] + self.window - now))

    def fail(self, key: tuple) -> None:
        """Count a failed attempt of ``key``."""
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            times.append(now)
            self._seen[key] = times
            self._seen.move_to_end(key)
            while len(self._seen) > KEYS_MAX:
                self._seen.popitem(last=False)

    def reset(self, key: tuple) -> None:
        """Forget ``key``'s failures (a successful authentication)."""
        with self._lock:
            self._seen.pop(key, None)


def credentials(authorization: str, form: dict) -> tuple[str | None, str]:
    """``(client id, secret)`` from an HTTP Basic ``Authorization`` header (RFC 7617) or the form
    fields ``client_id`` / ``client_secret`` (RFC 6749 2.3.1); ``(None, "")`` when neither is
    usable."""
    if authorization[:6].lower() == "basic ":
        try:
            client_id, _, secret = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None, ""
        return client_id or None, secret
    if form.get("client_id"):
        return form["client_id"], form.get("client_secret", "")
    return None, ""


def _oauth_error(status: int, error: str, description: str, headers: dict | None = None):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


class Authenticator:
    """``POST /auth/token`` (:meth:`token`) and the bearer-token check of the other actions
    (:meth:`denied`) of one host.

    Parameters
    ----------
    clients : pcf.serve.clients.Clients
        The registered clients.
    tokens : TokenStore
    limit : RateLimit
    """

    def __init__(self, clients, tokens: TokenStore, limit: RateLimit):
        self.clients, self.tokens, self.limit = clients, tokens, limit
        self._hashing = None  # anyio.CapacityLimiter, made in the event loop

    async def token(self, request):
        """``POST /auth/token``: an access token for valid client credentials (HTTP Basic or form
        fields; ``grant_type=client_credentials``); 400 ``unsupported_grant_type``, 401
        ``invalid_client``, 429 ``slow_down`` with ``Retry-After`` (see the module docstring)."""
        import anyio
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        client_id, secret = credentials(request.headers.get("authorization", ""), form)
        known = client_id is not None and client_id in self.clients.entries
        key = ("client", client_id) if known else ("address", request.client.host if request.client else "")
        wait = self.limit.retry_after(key)
        if wait is not None:
            return _oauth_error(429, "slow_down", f"too many failed authentications; retry after {wait} s",
                                {"Retry-After": str(wait)})
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "use grant_type=client_credentials")
        if self._hashing is None:
            self._hashing = anyio.CapacityLimiter(HASH_THREADS)
        ok = await anyio.to_thread.run_sync(self.clients.check, client_id or "", secret, limiter=self._hashing)
        if not (ok and client_id):
            self.limit.fail(key)
            return _oauth_error(401, "invalid_client", "Authentication failed", {"WWW-Authenticate": 'Basic realm="pcf"'})
        self.limit.reset(key)
        try:
            token = await run_in_threadpool(self.tokens.new, client_id)
        except PCFError as exc:
            return _oauth_error(500, "server_error", f"the registry cannot be written: {exc}")
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": int(self.tokens.ttl),
                             "scope": "footprint:list footprint:read"}, headers={"Cache-Control": "no-store"})

    def bearer(self, request) -> str | None:
        """The bearer token of a request's ``Authorization`` header (None: none given)."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    def denied(self, request):
        """The PACT error response for a missing, unknown or expired bearer token; None for a
        valid one (a registry read the first time a token is seen: call it from a worker
        thread, as Starlette runs plain endpoints).

        A registry that cannot be read gives 500 ``InternalError``.
        """
        from starlette.responses import JSONResponse

        def error(status, code, message):
            return JSONResponse({"code": code, "message": message}, status_code=status)

        if not request.headers.get("authorization"):
            return error(403, "AccessDenied", "Access denied: send Authorization: Bearer <token> from POST /auth/token")
        token = self.bearer(request)
        try:
            state = self.tokens.check(token) if token else "unknown"
        except PCFError as exc:
            return error(500, "InternalError", f"the registry cannot be read: {exc}")
        if state == "unknown":
            return error(400, "BadRequest", "Invalid token provided")
        if state == "expired":
            return error(401, "TokenExpired", "The specified access token has expired")
        return None
