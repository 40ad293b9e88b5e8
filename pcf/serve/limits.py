"""What the PACT host accepts from a request: query parameters, body size, JSON, and its own URL.

Every malformed input is refused with 400 ``BadRequest`` (a body too large: 413) and the PACT
error body ``{"code", "message"}``, never a 500:

==========================  ===================================================================
input                       rule
==========================  ===================================================================
``limit``                   ASCII digits ``0-9`` only (``str.isdigit`` also accepts ``²`` and
                            other digits; ``int`` then fails or takes them), at most
                            :data:`DIGITS_MAX` of them. Any size is accepted (the OpenAPI sets
                            no maximum) and read within a sane range: a limit over
                            :data:`PAGE_MAX` gives :data:`PAGE_MAX` (the host MAY return
                            fewer), never converting thousands of digits (Python refuses
                            more than 4,300: the 500 before). ``0`` is allowed (PACT v3 OpenAPI,
                            ListFootprints ``limit``: ``minimum: 0``): an empty page and, when
                            footprints follow, a ``Link`` to the same offset with the host's
                            page size (a next link with ``limit=0`` would never advance)
``offset``                  the same digits rule (the host's own pagination links); one over
                            :data:`OFFSET_MAX` counts as :data:`OFFSET_MAX` (an empty page)
``limit``/``offset`` twice  400 (which one would count is a guess)
filters                     ``productId``, ``companyId``, ``geography``, ``classification``,
                            ``validOn``, ``validAfter``, ``validBefore``, ``status`` (names
                            case-insensitive; PACT v3 rest-api "Filtering"); a date filter must
                            be an ISO 8601 date-time; a value has at most :data:`VALUE_MAX`
                            characters (any: the schema's strings and URNs may hold any), at most
                            :data:`VALUES_MAX`
                            values in all. A value with a NUL (``%00``) matches nothing (no
                            stored value holds one: PostgreSQL text cannot) and is not sent to
                            the database (:attr:`ListQuery.nothing`)
``status``                  any value is accepted, and one that is neither ``Active`` nor
                            ``Deprecated`` matches nothing: 200 with ``{"data": []}``. The
                            OpenAPI lists the two values, but the official conformance harness
                            requires exactly this (wbcsd/pact-conformance-service, v3 test case
                            37, mandatory: ``status=BogusStatus...`` expects 200 and an empty
                            list), and the harness decides conformance
other parameters            400 naming them. PACT lets a host add criteria named
                            ``x-<implementor>-<criterion>`` (rest-api "Extensions"); this host
                            adds none, and ignoring a criterion would return footprints the
                            recipient filtered out. The v2 OData ``$filter`` is the caller's
                            (400 ``NotImplemented``)
request path                no control characters (a ``%00`` in a footprint id): 400
                            (:class:`RequestLimits`; PostgreSQL text cannot hold a NUL)
request body                at most :data:`BODY_MAX` bytes (413 ``BadRequest``), by
                            ``Content-Length`` or as it streams in (:class:`RequestLimits`)
JSON body                   :func:`parse_json`: nested at most :data:`DEPTH_MAX` deep (a
                            100,000-deep array is a 400, not a ``RecursionError``), no ``NaN`` /
                            ``Infinity`` (not JSON, RFC 8259 6), numbers within Python's
                            4,300-digit conversion limit, no NUL (``\u0000``) or lone
                            surrogate (``\ud800``) in a string or key (neither can be stored
                            as UTF-8 text)
==========================  ===================================================================

The absolute URLs the host writes (the ``Link`` header of ListFootprints) start with the
configured public base URL (``pcf serve --public-url``, default the bind address and scheme),
never with the request's ``Host`` header, which the client chooses (:func:`page_link`).

References
----------
PACT Technical Specifications v3.0.3, rest-api.md (ListFootprints: Filtering, Pagination,
Limit) and openapi.yaml; RFC 8259 (JSON); RFC 8288 (Link); RFC 9110 15.5.14 (413 Content Too
Large); wbcsd/pact-conformance-service src/test-cases/v3-test-cases.ts (test case 37).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from .query import FILTERS

#: Most footprints per response when the client gives no (or a larger) ``limit``.
PAGE_MAX = 100
DATE_FILTERS = ("validon", "validafter", "validbefore")
#: Longest ``limit`` / ``offset`` [digits] (a longer one is not a number anyone means).
DIGITS_MAX = 1024
#: Largest offset passed on [footprints] (SQL integers are 64-bit signed; no registry is near it).
OFFSET_MAX = 10 ** 12
#: Longest filter value [characters].
VALUE_MAX = 1024
#: Most filter values in one request.
VALUES_MAX = 100
#: Largest request body [bytes] (1 MiB; a PACT event with a few hundred footprints fits).
BODY_MAX = 1024 * 1024
#: Deepest JSON nesting accepted in a body (arrays and objects; a PACT event needs about 8).
DEPTH_MAX = 64

_DIGITS = re.compile(r"[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


class BadRequest(ValueError):
    """A request parameter or body the host refuses (400 ``BadRequest``; ``status`` 413 for a
    body over :data:`BODY_MAX`); the message says which and why."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class ListQuery:
    """A checked ListFootprints query.

    Attributes
    ----------
    criteria : dict
        Lower-cased filter name -> its values (as given).
    limit : int or None
        The recipient's ``limit`` (None: not given).
    offset : int
        Footprints to skip.
    params : list of (str, str)
        The query as given, without ``limit`` and ``offset`` (for the next page's link).
    nothing : bool
        True when no footprint can match: every value of a criterion holds a NUL (such values
        are left out of ``criteria``).
    """

    criteria: dict[str, list[str]] = field(default_factory=dict)
    limit: int | None = None
    offset: int = 0
    params: list[tuple[str, str]] = field(default_factory=list)
    nothing: bool = False

    @property
    def size(self) -> int:
        """Footprints on this page: ``limit`` up to :data:`PAGE_MAX` (the host MAY return fewer)."""
        return PAGE_MAX if self.limit is None else min(self.limit, PAGE_MAX)


def _count(key: str, value: str) -> int:
    if not _DIGITS.fullmatch(value) or len(value) > DIGITS_MAX:
        raise BadRequest(f"{key} must be a whole number of at most {DIGITS_MAX} ASCII digits (0-9), got {value[:40]!r}")
    return OFFSET_MAX if len(value.lstrip("0")) > len(str(OFFSET_MAX)) else min(int(value), OFFSET_MAX)


def _date(key: str, value: str) -> None:
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{key} must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z, "
                         f"got {value[:40]!r}") from None


def list_query(params: list[tuple[str, str]]) -> ListQuery:
    """Check the query parameters of ListFootprints (v3 ``/3/footprints``, v2 ``/2/footprints``).

    Parameters
    ----------
    params : list of (str, str)
        The decoded query, in order (repeated names allowed), without ``$filter`` (the caller's).

    Returns
    -------
    ListQuery

    Raises
    ------
    BadRequest
        A malformed ``limit`` / ``offset``, one given twice, an unknown parameter, a date filter
        that is not an ISO 8601 date-time, a value too long, or
        more than :data:`VALUES_MAX` values (see the module docstring).
    """
    query = ListQuery()
    seen: set[str] = set()
    unmatchable: set[str] = set()
    for key, value in params:
        name = key.lower()
        if name in ("limit", "offset"):
            if name in seen:
                raise BadRequest(f"{name} is given more than once")
            seen.add(name)
            if name == "limit":
                query.limit = _count(key, value)
            else:
                query.offset = _count(key, value)
            continue
        if name not in FILTERS:
            raise BadRequest(f"unknown query parameter {key[:60]!r}; ListFootprints takes limit, offset and the "
                             "filters productId, companyId, geography, classification, validOn, validAfter, "
                             "validBefore, status")
        if len(value) > VALUE_MAX:
            raise BadRequest(f"{key}: a value has at most {VALUE_MAX} characters")
        if name in DATE_FILTERS:
            _date(key, value)
        query.params.append((key, value))
        if len(query.params) > VALUES_MAX:
            raise BadRequest(f"at most {VALUES_MAX} filter values in one request")
        if "\x00" in value:
            unmatchable.add(name)
        else:
            query.criteria.setdefault(name, []).append(value)
    query.nothing = any(name not in query.criteria for name in unmatchable)
    return query


def page_link(public_url: str, path: str, query: ListQuery) -> str:
    """The ``Link`` header value to the page after ``query``'s (same criteria; RFC 8288).

    The next page starts at ``offset + size``; after a ``limit=0`` page it starts at the same
    offset with the host's page size (no ``limit``), so that following links advances.

    Parameters
    ----------
    public_url : str
        The host's public base URL (``https://host[:port][/prefix]``, no trailing slash).
    path : str
        The request path (``/3/footprints``).
    """
    params = list(query.params)
    if query.limit == 0:
        params.append(("offset", str(query.offset)))
    else:
        params += [("limit", str(query.size)), ("offset", str(query.offset + query.size))]
    return f'<{public_url}{path}?{urlencode(params)}>; rel="next"'


def public_base(url: str) -> str:
    """A public base URL as configured (``pcf serve --public-url``), checked and without a
    trailing slash.

    Raises
    ------
    BadRequest
        Not an absolute ``http(s)://host[:port][/path]`` URL (no query, fragment or user info).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
            or "@" in parts.netloc:
        raise BadRequest(f"the public URL {url!r} is not an absolute URL: give https://host, with an optional "
                         ":port and /path, no query or user name")
    try:
        parts.port
    except ValueError:
        raise BadRequest(f"the public URL {url!r} has an invalid port") from None
    return url.strip().rstrip("/")


def bound_url(scheme: str, host: str, port: int) -> str:
    """The base URL of a bound socket: ``scheme://host:port`` (an IPv6 address in brackets)."""
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _depth(value) -> int:
    """Nesting depth of a parsed JSON value (a scalar 0), without recursion.

    Raises
    ------
    BadRequest
        A string or key with a NUL or a lone surrogate.
    """
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise BadRequest("the JSON body has a NUL (\\u0000) or a lone surrogate in a string")
            continue
        children = [*item, *item.values()] if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((c, level + 1) for c in children if isinstance(c, (dict, list, str)))
    return deepest if isinstance(value, (dict, list)) else 0


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes):
    """A request body as JSON, safely.

    Raises
    ------
    BadRequest
        Not UTF-8 JSON (RFC 8259), ``NaN`` / ``Infinity``, a number beyond Python's integer
        conversion limit, a NUL or lone surrogate in a string, or nested deeper than
        :data:`DEPTH_MAX` (a structure deeper than the interpreter's recursion limit is refused
        by the parser itself: the same 400).
    """
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest(f"the JSON body is nested deeper than {DEPTH_MAX} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, int digits limit, bad UTF-8
        raise BadRequest(f"the body is not JSON: {str(exc)[:200]}") from None
    if _depth(value) > DEPTH_MAX:
        raise BadRequest(f"the JSON body is nested deeper than {DEPTH_MAX} levels")
    return value


class RequestLimits:
    """ASGI middleware: a path with a control character gets 400, a request body over ``limit``
    bytes 413, both with the PACT error body, before the application sees the request (the
    body by ``Content-Length``, or counted as a chunked body streams in; the application then
    sees the body whole).

    Parameters
    ----------
    app : ASGI application
    limit : int
        Largest body [bytes]; default :data:`BODY_MAX`.
    """

    def __init__(self, app, limit: int = BODY_MAX):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if _CONTROL.search(scope.get("path", "")):
            return await _refuse(send, 400, "the request path has a control character")
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._too_large(send)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return await self.app(scope, _replay([message], receive), send)
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.limit:
                return await self._too_large(send)
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await self.app(scope, _replay([body], receive), send)

    async def _too_large(self, send):
        await _refuse(send, 413, f"the request body is larger than {self.limit} bytes")


async def _refuse(send, status: int, message: str) -> None:
    """Send the PACT error response ``{"code": "BadRequest", "message"}`` and close."""
    payload = json.dumps({"code": "BadRequest", "message": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})


async def http_error(request, exc):
    """Starlette's own errors (no route for the path: 404, a method the route does not take:
    405) with the PACT error body (``NotFound`` / ``BadRequest``) instead of plain text."""
    from starlette.responses import JSONResponse

    status = getattr(exc, "status_code", 400)
    code = "NotFound" if status == 404 else "BadRequest"
    return JSONResponse({"code": code, "message": f"{request.method} {request.url.path[:200]}: "
                                                  f"{getattr(exc, 'detail', '') or 'refused'}"},
                        status_code=status, headers=getattr(exc, "headers", None))


async def internal_error(request, exc):
    """An unexpected error: 500 with the PACT error body (``InternalError``); the traceback goes
    to the server's log only."""
    from starlette.responses import JSONResponse

    return JSONResponse({"code": "InternalError", "message": "internal error; see the server log"}, status_code=500)


def _replay(messages: list, receive):
    """An ASGI ``receive`` that hands out ``messages`` first, then waits on ``receive``."""
    pending = list(messages)

    async def replay():
        return pending.pop(0) if pending else await receive()
    return replay
