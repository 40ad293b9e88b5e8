"""Label issuance: numbered, signed, time-limited carbon labels in a registry anyone can check.

A certification body creates an Ed25519 key pair (:func:`new_keys`), whose public key the
registry stores. :func:`issue` checks a footprint result against its PCR, gives it the next
label number, signs its declaration and stores it; :func:`verify` checks a declaration
file, a label number or a QR token (signature, hash, issuer key, validity dates, status);
:func:`change_status` suspends, reinstates or revokes and :func:`renew` renews a label;
:func:`check_registry` re-checks the whole registry against its hash-chained event log;
:func:`pcf.serve.publish.publish` writes the static verification site. See docs/registry.md.

Modules: ``keys``, ``numbers`` (label-number format),
``store`` (storage interface, the shared SQL, SQLite), ``pgstore`` (PostgreSQL),
``location`` (:func:`open_store`: which back end), ``chain`` (event log), ``declaration``, ``token``,
``admin`` (settings, keys), ``roles`` (admin / verifier / issuer keys), ``lifecycle`` (issue, status, renew), ``verify``, ``check``, ``render`` (label files).
RFC 8785 canonical JSON is :mod:`pcf.core.canonical`.

Examples
--------
>>> from pcf.registry import open_store, new_keys, issue, verify       # doctest: +SKIP
>>> store = open_store("registry.db")                                   # doctest: +SKIP
>>> init_registry(store, root_key=root)                                 # doctest: +SKIP
>>> key, *_ = new_keys(store, "cb-example", "keys", root_key=root)      # doctest: +SKIP
>>> issued = issue(store, result, key, valid_days=730, out_dir="labels") # doctest: +SKIP
>>> verify(issued.number, store).verdict                                # doctest: +SKIP
'valid'
"""

from pcf.core.lazy import exports

# Names are imported from their submodule on first use (pcf.core.lazy): `pcf verify` and
# `pcf registry list` do not load the issuing path (PCR rules, rendering).
__getattr__, __dir__, __all__ = exports(__name__, {
    "admin": ["init_registry", "list_keys", "new_keys", "register_key", "settings"],
    "check": ["RegistryCheck", "check_registry"],
    "errors": ["IssueRefused", "KeyFileError", "LabelNotFound", "NotADeclaration", "RegistryCorrupt", "RegistryError",
               "StatusChangeRefused"],
    "lifecycle": ["Issued", "change_status", "check_conformance", "export", "issue", "renew"],
    "keys": ["SigningKey", "load_public_key", "load_signing_key"],
    "roles": ["ROLES", "KeyNotAllowed", "KeyStanding", "key_standing", "require_key"],
    "location": ["default_registry_path", "open_store"],
    "store": ["Store"],
    "verify": ["Verification", "verify"],
})
