"""The label verification pages served live by ``pcf serve``: the target of the labels' QR codes.

A label's QR code holds ``<registry url>/<number>.html`` (``pcf registry init --url``,
:func:`pcf.registry.lifecycle._insert`). ``pcf serve`` answers exactly that path: the path
part of the registry's URL (read at each request, so a changed URL applies at once) or of the
label's own ``verification_url`` (labels issued before a URL change), followed by
``/<number>.html``. Under the same folder:

==============================  ===============================================================
``<number>.html``               the label's page with its status **at the request**
                                (:func:`pcf.serve.status.label_state`: valid, revoked with its
                                reason and date, superseded with a link, suspended, expired,
                                not yet valid), "Live status at <time>"
``<number>.declaration.json``   the signed declaration (verify it offline)
``index.html`` (and ``/``)      every label with its status (from the rows; the label pages also
                                read the events), the issuer keys
==============================  ===============================================================

Per page request one read transaction reads the settings, **one** label row and that
label's events, checked like ``pcf verify`` checks them
(:func:`pcf.registry.verify.label_integrity`: declaration digest and signature, the signed
events with event 1 and the admissions of their keys, the row's status against them); a label
that fails gets a 503 page "cannot be confirmed" instead of a status. The chain's links and
hashes are checked **incrementally** (:meth:`LivePages.chain_problems`): the server keeps the
number and hash of the last event it verified and reads only that event and the ones after
it (links and hashes checked), plus the count and largest number of all events (a removed or
inserted event leaves a gap); a rewrite that renumbers or rehashes the log changes the kept
event. An edit of an older event in place is left to ``pcf registry check``, except for the
events of the label shown and of its keys, whose signatures are checked at every request.
Nothing is re-exported. The index reads the rows and keeps the part of each
row drawn from its signed declaration (which never changes) by declaration SHA-256.

Security: every value from the registry is HTML-escaped (Jinja2 autoescape; revocation
reasons are user text); links are relative, never built from the ``Host`` header; the
number must have the label-number form with correct check digits, else 404 (as for an
unknown number), without a traceback; responses carry a Content-Security-Policy that
forbids scripts, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY`` and ``Cache-Control: no-store`` (a status can change any time).
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from ..render import output
from ..registry import open_store
from ..registry.declaration import iso
from ..registry.errors import RegistryError
from ..registry.numbers import parse_number
from ..registry.chain import GENESIS, verify_chain
from ..registry.verify import label_integrity
from ..registry.render import _date
from .publish import count_text, page_context
from .status import label_state, names

#: Headers of every page response.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

_FILE = re.compile(r"(?P<folder>.*)/(?P<name>[^/]*)")
_SUFFIXES = (".declaration.json", ".html")


def url_folder(url: str | None) -> str:
    """The path part of a base URL without its trailing slash (``""`` for none or the root)."""
    return urlsplit(url).path.rstrip("/") if url else ""


class LivePages:
    """The live verification pages of one registry (see the module docstring).

    Parameters
    ----------
    registry : str or Path or None
        The registry (default ``PCF_HOME/registry.db``); opened per request, read-only.
    clock : callable, optional
        ``clock() -> datetime`` (UTC) deciding expiry; default the system clock.
    """

    def __init__(self, registry, clock=None):
        self.registry = registry
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.env = output.environment()
        self.css = Markup(output.read_template_file(self.env, "registry_site.css"))  # our own file, not data
        self._rows: dict[tuple[str, str], dict] = {}  # (number, declaration SHA-256) -> signed part of a row
        self._lock = threading.Lock()
        self._verified = (0, GENESIS)  # (seq, hash) of the last event whose chain up to it was checked

    def chain_problems(self, tx) -> list[str]:
        """Problems of the event chain, checked from the last event verified before (see the
        module docstring); remembers the new last event when the chain holds."""
        count, top = tx.event_span()
        if count != top:
            return [f"the event log holds {count} events numbered up to {top}: events were removed or inserted"]
        with self._lock:
            seq, head = self._verified
        events = tx.events_from(max(seq, 1))
        if seq:
            if not events or events[0].seq != seq or events[0].hash != head:
                return [f"event {seq}, verified by this server before, is no longer the same (the log was "
                        "rewritten or truncated)"]
            problems, last = verify_chain(events[1:], seq + 1, head)
        else:
            problems, last = verify_chain(events)
        if not problems and events:
            with self._lock:
                if events[-1].seq > self._verified[0]:
                    self._verified = (events[-1].seq, last)
        return problems

    # ------------------------------------------------------------------ responses

    def _page(self, status: int, html: str):
        from starlette.responses import HTMLResponse

        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def not_found(self, what: str):
        """404 page (the text is escaped)."""
        return self._page(404, _message_page("404", f"{what}", self.css))

    def unavailable(self, exc: Exception):
        """503 page when the registry cannot be read."""
        return self._page(503, _message_page("503", f"the registry cannot be read: {exc}", self.css))

    # ------------------------------------------------------------------ dispatch

    def endpoint(self, request):
        """Starlette endpoint for ``GET``/``HEAD /{path}``: a label page, its declaration or the index."""
        path = request.url.path
        m = _FILE.fullmatch(path)
        if m is None:
            return self.not_found("no such page")
        folder, name = m.group("folder"), m.group("name")
        if name in ("", "index.html"):
            return self.index(folder)
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                return self.label(folder, name[: -len(suffix)], suffix)
        return self.not_found("no such page")

    def label(self, folder: str, number: str, suffix: str):
        """The page (``.html``) or the signed declaration (``.declaration.json``) of one label."""
        try:
            parsed = parse_number(number)
        except RegistryError as exc:
            return self.not_found(str(exc))
        if parsed.text != number:  # lower case, spaces: not the path a QR code holds
            return self.not_found(f"{number!r} is not written as a label number (PREFIX-YYYY-NNNNNN-CC)")
        try:
            store = open_store(self.registry, create=False)
            try:
                with store.read() as tx:
                    base = tx.setting("url")
                    row = tx.label(number)
                    events = tx.events(number) if row is not None else []
                    forged = (self.chain_problems(tx) + label_integrity(tx, row, chain=False)) if row is not None else []
            finally:
                store.close()
        except RegistryError as exc:
            return self.unavailable(exc)
        if row is None:
            return self.not_found(f"no label {number} in this registry")
        if forged:  # a row or events no key signed: say so rather than show a status (issue 15 part 6)
            return self._page(503, _message_page("503", f"label {number} cannot be confirmed: its registry entry "
                                                 f"fails the signature checks ({forged[0]})", self.css))
        try:
            page = page_context(row, self.clock(), events, live=True)  # parses the signed declaration
        except RegistryError as exc:  # a corrupt row: `pcf registry check` tells more
            return self.unavailable(exc)
        own = page.pop("document")["declaration"].get("verification_url")
        if folder not in (url_folder(base), url_folder(own.rsplit("/", 1)[0] if own else None)):
            return self.not_found(f"label {number} is not published under this path")
        if suffix == ".declaration.json":
            from starlette.responses import Response

            return Response(row.document, media_type="application/json",
                            headers={**HEADERS, "Content-Disposition": f'inline; filename="{number}.declaration.json"'})
        return self._page(200, output.render_template(self.env, "registry_page.html.j2", P=page, css=self.css))

    def index(self, folder: str):
        """Every label with its status now (from the rows), the issuer keys."""
        try:
            store = open_store(self.registry, create=False)
            try:
                with store.read() as tx:
                    base = tx.setting("url")
                    labels = tx.labels()
                    keys = tx.keys()
            finally:
                store.close()
        except RegistryError as exc:
            return self.unavailable(exc)
        if folder != url_folder(base):
            return self.not_found("no such page")
        at = self.clock()
        try:
            rows = [self._row(label, at) for label in labels]
        except RegistryError as exc:
            return self.unavailable(exc)
        index = {"count": len(rows), "count_text": count_text(len(rows)), "rows": rows, "issuer_keys": keys,
                 "published_at": iso(at), "live": True, "events": None, "head": None}
        return self._page(200, output.render_template(self.env, "registry_index.html.j2", I=index, css=self.css))

    def _row(self, label, at: datetime) -> dict:
        """One index row: the signed part cached by declaration SHA-256, the status computed now."""
        key = (label.number, label.declaration_sha256)
        with self._lock:
            cached = self._rows.get(key)
        if cached is None:
            page = page_context(label, at, [], live=True)
            cached = {k: page[k] for k in ("product_name", "product_id", "value", "unit", "cls", "illustrative",
                                            "valid_until")}  # a class on illustrative thresholds says so (issue 20)
            with self._lock:
                self._rows[key] = cached
        state = label_state(label, [], at)
        zh, en, _ = names(state.status)
        return {"number": label.number, "status": state.status, "status_zh": zh, "status_en": en,
                "reason": state.reason, "status_since": _date(state.since) if state.since else None,
                **cached}  # a revocation's reason is public (issue 20)


def _message_page(code: str, text: str, css: Markup) -> str:
    """A small escaped HTML page for an error."""
    return ("<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><meta name=\"robots\" "
            f"content=\"noindex\"><title>{code}</title><style>{css}</style></head><body><header><div class=\"zh\">"
            f"碳标签核验</div><div class=\"en\">Carbon label verification</div></header><main>"
            f"<p id=\"error\" data-code=\"{code}\">{escape(text)}</p></main></body></html>")
