"""The access-token table of the registry (pcf.registry.tokenstore): kept by SHA-256, read back,
purged, and added to a registry made before it."""

from __future__ import annotations

from pcf.registry import open_store
from pcf.registry.tokenstore import KEEP_EXPIRED_MS, AccessToken
from tests.registry_util import location, new_registry, utc


def test_tokens_are_kept_read_and_purged(tmp_path):
    store, _, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1), case=False)
    try:
        first = AccessToken("aa" * 32, "buyer-1", 1_000, 3_601_000)
        with store.write() as tx:
            tx.add_token(first)
        with store.read() as tx:
            assert tx.token("aa" * 32) == first and tx.token("bb" * 32) is None
        # a token issued more than KEEP_EXPIRED_MS after the first expired deletes it
        later = AccessToken("bb" * 32, "buyer-2", 3_601_000 + KEEP_EXPIRED_MS + 1, 7_201_000 + KEEP_EXPIRED_MS + 1)
        with store.write() as tx:
            tx.add_token(later)
        with store.read() as tx:
            assert tx.token("aa" * 32) is None and tx.token("bb" * 32) == later
        with store.write() as tx:
            assert tx.purge_tokens(later.expires_ms) == 0 and tx.purge_tokens(later.expires_ms + 1) == 1
    finally:
        store.close()


def test_a_registry_made_before_the_table_gains_it(tmp_path):
    store, _, _, _ = new_registry(tmp_path, now=utc(2026, 1, 1), case=False)
    with store.write() as tx:
        tx.run("DROP TABLE access_tokens")
    store.close()
    with open_store(location(tmp_path), create=False) as store:
        with store.write() as tx:
            tx.add_token(AccessToken("cc" * 32, "buyer-1", 0, 1))
        assert store.integrity_errors() == []
