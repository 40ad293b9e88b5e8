"""Issuer keys: Ed25519 key pairs in PEM files, key ids, signing and checking signatures.

``pcf keys new --issuer NAME --out DIR`` writes ``DIR/NAME.key`` (PKCS #8 PEM, file mode
0600, encrypted with the passphrase when one is given) and ``DIR/NAME.pub``
(SubjectPublicKeyInfo PEM). Neither file is ever overwritten.

The **key id** is the first 32 hex digits (128 bits) of the SHA-256 of the 32 raw bytes of
the public key; declarations and events name keys by it.

References
----------
S. Josefsson, I. Liusvaara (2017) RFC 8032, Edwards-Curve Digital Signature Algorithm
(EdDSA), section 5.1 (Ed25519). RFC 8410 (Ed25519 keys in PKCS #8 / SubjectPublicKeyInfo).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import KeyFileError, RegistryError

#: An issuer name: it names key files, so letters, digits, ``.``, ``_`` and ``-`` only.
ISSUER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

#: Environment variable a key's passphrase is read from (never a command-line argument,
#: which other users can see in the process list).
PASSPHRASE_ENV = "PCF_KEY_PASSPHRASE"


def check_issuer(name: str) -> str:
    """Check an issuer name (1-64 of ``A-Z a-z 0-9 . _ -``, starting with a letter or digit).

    Raises
    ------
    RegistryError
        When the name is not one.
    """
    if not isinstance(name, str) or not ISSUER_RE.fullmatch(name):
        raise RegistryError(f"issuer name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' "
                            "or '-', starting with a letter or digit (e.g. cb-example)")
    return name


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url`.

    Raises
    ------
    ValueError
        On characters outside the base64url alphabet or a bad length.
    """
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key (RFC 8032 5.1.5)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Key id: the first 32 hex digits of SHA-256 over the 32 raw public-key bytes."""
    return hashlib.sha256(raw_public(public_key)).hexdigest()[:32]


def public_pem(public_key: Ed25519PublicKey) -> str:
    """The public key as SubjectPublicKeyInfo PEM text."""
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def public_from_raw(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from the base64url of its 32 raw bytes.

    Raises
    ------
    RegistryError
        When the text is not 32 base64url-encoded bytes.
    """
    try:
        data = b64url_decode(text)
        if len(data) != 32:
            raise ValueError("not 32 bytes")
        return Ed25519PublicKey.from_public_bytes(data)
    except ValueError as exc:
        raise RegistryError(f"not an Ed25519 public key (base64url of 32 bytes): {exc}") from None


def public_from_pem(pem: str | bytes, where: str = "public key") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM text.

    Raises
    ------
    KeyFileError
        When the text is not a PEM Ed25519 public key.
    """
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{where}: not a PEM public key ({exc}); use the .pub file written by "
                           "`pcf keys new`") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{where}: a {type(key).__name__}, not an Ed25519 public key; "
                           "create one with `pcf keys new`")
    return key


@dataclass(frozen=True)
class SigningKey:
    """An issuer's private key, loaded.

    Attributes
    ----------
    private_key : Ed25519PrivateKey
    public_key : Ed25519PublicKey
    key_id : str
        32 hex digits (:func:`key_id`).
    path : str
        The file it was read from ("" when made in memory).
    """

    private_key: Ed25519PrivateKey
    public_key: Ed25519PublicKey
    key_id: str
    path: str = ""

    @classmethod
    def from_private(cls, private_key: Ed25519PrivateKey, path: str = "") -> "SigningKey":
        public = private_key.public_key()
        return cls(private_key, public, key_id(public), path)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature (64 bytes) of a message (RFC 8032 5.1.6)."""
        return self.private_key.sign(message)


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` under ``public_key``."""
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _link_new(data: bytes, target: Path, mode: int) -> None:
    """Write a new file atomically and never over an existing one (temp file, fsync, hard link)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, target)  # fails with FileExistsError instead of replacing
    finally:
        os.unlink(tmp)


def write_key_pair(issuer: str, out_dir: str | Path, passphrase: str | None = None) -> tuple[SigningKey, Path, Path]:
    """Create an Ed25519 key pair and write ``<out_dir>/<issuer>.key`` and ``.pub``.

    Parameters
    ----------
    issuer : str
        Issuer name (:func:`check_issuer`); names the files.
    out_dir : str or Path
        Folder; created (mode 0700) when missing.
    passphrase : str, optional
        Encrypts the private key (PKCS #8 with the best encryption the library has); empty
        or None leaves it unencrypted.

    Returns
    -------
    key : SigningKey
    private_path, public_path : Path

    Raises
    ------
    KeyFileError
        When either file exists already (keys are never overwritten) or cannot be written;
        nothing is left behind then.
    """
    check_issuer(issuer)
    out = Path(out_dir)
    private_path, public_path = out / f"{issuer}.key", out / f"{issuer}.pub"
    for path in (private_path, public_path):
        if path.exists():
            raise KeyFileError(f"{path} exists already: keys are never overwritten; choose another "
                               "folder, or move the old key away to rotate it").about("out_dir")
    private = Ed25519PrivateKey.generate()
    encryption = (serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
                  else serialization.NoEncryption())
    private_bytes = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    key = SigningKey.from_private(private)
    written: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        _link_new(private_bytes, private_path, 0o600)
        written.append(private_path)
        _link_new(public_pem(key.public_key).encode("ascii"), public_path, 0o644)
        written.append(public_path)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        what = "exists already (keys are never overwritten)" if isinstance(exc, FileExistsError) else \
            f"cannot be written ({exc.strerror})"
        raise KeyFileError(f"{exc.filename or out} {what}: choose another folder").about("out_dir") from None
    return key, private_path, public_path


def load_signing_key(path: str | Path, passphrase: str | None = None) -> SigningKey:
    """Read an issuer's private key file.

    Parameters
    ----------
    path : str or Path
        The ``.key`` file written by :func:`write_key_pair`.
    passphrase : str, optional
        Its passphrase; default the environment variable ``PCF_KEY_PASSPHRASE``.

    Returns
    -------
    SigningKey

    Raises
    ------
    KeyFileError
        Missing or unreadable file; readable by group or others (``chmod 600`` it, as ssh
        demands); not an Ed25519 private key; encrypted and no or a wrong passphrase.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: key file not found; create one with `pcf keys new --issuer NAME --out DIR`") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path}: private key is accessible by other users (mode {stat.S_IMODE(mode):o}); "
                           f"run `chmod 600 {path}`")
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    if passphrase is None:
        passphrase = os.environ.get(PASSPHRASE_ENV) or None
    if encrypted and not passphrase:
        raise KeyFileError(f"{path}: the key is encrypted; set {PASSPHRASE_ENV} to its passphrase")
    try:
        private = serialization.load_pem_private_key(
            data, password=passphrase.encode("utf-8") if encrypted else None)
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise KeyFileError(f"{path}: wrong passphrase or damaged key file") from None
        raise KeyFileError(f"{path}: not a PEM private key ({exc}); pass the .key file written by "
                           "`pcf keys new`") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: a {type(private).__name__}, not an Ed25519 key; create one with `pcf keys new`")
    return SigningKey.from_private(private, str(path))


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read an issuer's public key file (``.pub``).

    Raises
    ------
    KeyFileError
        Missing, unreadable, or not an Ed25519 public key.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: public key file not found") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot be read ({exc.strerror})") from None
    return public_from_pem(data, str(path))


def is_encrypted(path: str | Path) -> bool:
    """True when a private key file is passphrase-protected (False when unreadable)."""
    try:
        return b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in Path(path).read_bytes()
    except OSError:
        return False
