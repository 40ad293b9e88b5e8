"""Access tokens of the PACT host (``pcf serve``) in the registry, in portable SQL.

A token is a 256-bit random string handed to an API client once (``POST /auth/token``); the
registry keeps only its SHA-256, the client id and its expiry, so a copy of the database
gives no usable token, and a token outlives a restart of ``pcf serve`` (or is accepted by
every server on the same registry) until it expires. SHA-256 without salt is enough: the
token is random with 256 bits, so no dictionary or brute force applies (unlike a password,
which is why client secrets get scrypt in :mod:`pcf.serve.clients`).

Table (added with ``CREATE TABLE IF NOT EXISTS`` to any registry, like the verification-case
tables; no schema version change; not part of the signed log):

``access_tokens``
    ``token_sha256`` (hex, primary key), ``client_id``, ``issued_ms`` and ``expires_ms``
    (milliseconds since 1970-01-01 UTC, BIGINT). Rows expired for longer than
    :data:`KEEP_EXPIRED_MS` are deleted whenever a token is issued: until then an expired
    token is told apart from an unknown one (401 ``TokenExpired`` rather than 400).

The statements use ``?`` placeholders through ``self.run`` and SQL both SQLite and
PostgreSQL accept (TEXT, BIGINT).
"""

from __future__ import annotations

from dataclasses import dataclass

#: How long an expired token's row is kept (so that it is refused as expired) [ms]: one day.
KEEP_EXPIRED_MS = 24 * 3600 * 1000

#: Statements that add the token table to a registry when missing (both back ends).
TOKEN_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS access_tokens (
    token_sha256 TEXT PRIMARY KEY,      -- hex SHA-256 of the token (the token itself is never kept)
    client_id    TEXT NOT NULL,
    issued_ms    BIGINT NOT NULL,       -- ms since 1970-01-01 UTC
    expires_ms   BIGINT NOT NULL
);
""",
    """
CREATE INDEX IF NOT EXISTS access_tokens_expiry ON access_tokens(expires_ms);
""",
)
#: The tables :data:`TOKEN_SCHEMA` creates.
TOKEN_TABLES = ("access_tokens",)


@dataclass(frozen=True)
class AccessToken:
    """An issued access token as kept: ``token_sha256`` (hex), ``client_id``, ``issued_ms`` and
    ``expires_ms`` [ms since 1970-01-01 UTC]."""

    token_sha256: str
    client_id: str
    issued_ms: int
    expires_ms: int


class TokenTx:
    """The access-token operations of a registry transaction (mixed into the store's ``Tx``)."""

    def run(self, sql: str, args=()):
        """Execute ``sql`` (``?`` placeholders); a store's own ``Tx`` translates the dialect."""
        return self.db.execute(sql, args)  # type: ignore[attr-defined]

    def add_token(self, token: AccessToken) -> None:
        """Keep an issued token and delete the rows expired more than :data:`KEEP_EXPIRED_MS`
        before it was issued."""
        self.run("DELETE FROM access_tokens WHERE expires_ms < ?", (token.issued_ms - KEEP_EXPIRED_MS,))
        self.run("INSERT INTO access_tokens(token_sha256, client_id, issued_ms, expires_ms) VALUES (?, ?, ?, ?)",
                 (token.token_sha256, token.client_id, token.issued_ms, token.expires_ms))

    def token(self, token_sha256: str) -> AccessToken | None:
        """The token with this SHA-256 (hex), or None."""
        r = self.run("SELECT token_sha256, client_id, issued_ms, expires_ms FROM access_tokens "
                     "WHERE token_sha256 = ?", (token_sha256,)).fetchone()
        return None if r is None else AccessToken(r["token_sha256"], r["client_id"], int(r["issued_ms"]),
                                                  int(r["expires_ms"]))

    def purge_tokens(self, before_ms: int) -> int:
        """Delete the tokens that expired before ``before_ms``; returns how many."""
        return self.run("DELETE FROM access_tokens WHERE expires_ms < ?", (before_ms,)).rowcount
