# SPDX-License-Identifier: GPL-2.0-or-later
"""Symmetric NTP keys and the chrony key-file format.

A key file line is `ID [TYPE] KEY` (chrony.conf(5), `keyfile`): ID in
1..2**32-1; TYPE a hash or cipher name (MD5 when omitted); KEY printable
ASCII without white space, optionally prefixed `ASCII:`, or hexadecimal
after `HEX:`. Cipher keys must have the cipher's length. Blank lines and
comments (starting with #, !, ; or %) are skipped. Errors name the file,
the line and the reason, so a bad file stops start-up with a clear message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_COMMENT_LEADERS: Final = ("#", "!", ";", "%")
_MAX_LINE_LEN: Final = 2047


class KeyType(enum.Enum):
    """MAC algorithms we support, by chrony's name, with digest length and kind."""

    MD5 = ("MD5", 16, False)
    SHA1 = ("SHA1", 20, False)
    SHA256 = ("SHA256", 32, False)
    SHA384 = ("SHA384", 48, False)
    SHA512 = ("SHA512", 64, False)
    AES128 = ("AES128", 16, True)
    AES256 = ("AES256", 16, True)

    def __init__(self, chrony_name: str, digest_len: int, is_cmac: bool) -> None:
        self.chrony_name = chrony_name
        self.digest_len = digest_len
        self.is_cmac = is_cmac

    @property
    def cipher_key_len(self) -> int | None:
        """Required key length for CMAC ciphers (RFC 8573), None for hashes."""
        if self is KeyType.AES128:
            return 16
        if self is KeyType.AES256:
            return 32
        return None


_TYPES_BY_NAME: Final = {t.chrony_name: t for t in KeyType}


@dataclass(frozen=True, slots=True)
class SymmetricKey:
    """One shared key: id, algorithm and secret."""

    key_id: int
    key_type: KeyType
    secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"SymmetricKey({self.key_id}, {self.key_type.chrony_name}, <{len(self.secret)} octets>)"


class KeyFileError(ValueError):
    """A key file line that cannot be used; str() is `file:line: reason`."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source}:{line}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


def _decode_secret(text: str) -> bytes:
    if text.upper().startswith("HEX:"):
        digits = text[4:]
        if not digits or len(digits) % 2:
            raise ValueError("HEX key needs a non-empty, even number of hex digits")
        try:
            return bytes.fromhex(digits)
        except ValueError:
            raise ValueError("HEX key contains a non-hexadecimal character") from None
    if text.upper().startswith("ASCII:"):
        text = text[6:]
    if not text:
        raise ValueError("empty key")
    if not all(0x20 < ord(c) < 0x7F for c in text):
        raise ValueError("ASCII key must be printable ASCII without white space")
    return text.encode("ascii")


def _parse_line(words: list[str]) -> SymmetricKey:
    if len(words) not in (2, 3):
        raise ValueError(f"expected 'ID [TYPE] KEY', got {len(words)} fields")
    if not words[0].isdigit():
        raise ValueError(f"key id {words[0]!r} is not a positive integer")
    key_id = int(words[0])
    if not 1 <= key_id <= 0xFFFF_FFFF:
        raise ValueError(f"key id {key_id} outside 1..4294967295")
    type_name = words[1].upper() if len(words) == 3 else "MD5"
    key_type = _TYPES_BY_NAME.get(type_name)
    if key_type is None:
        supported = ", ".join(_TYPES_BY_NAME)
        raise ValueError(f"unsupported key type {words[1]!r} (supported: {supported})")
    secret = _decode_secret(words[-1])
    need = key_type.cipher_key_len
    if need is not None and len(secret) != need:
        raise ValueError(f"{key_type.chrony_name} key must be {need} octets, got {len(secret)}")
    return SymmetricKey(key_id, key_type, secret)


def parse_key_file(text: str, source: str = "<keys>") -> dict[int, SymmetricKey]:
    """Parse chrony key-file text into keys by id; raises KeyFileError on the first bad line."""
    keys: dict[int, SymmetricKey] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(_COMMENT_LEADERS):
            continue
        if len(raw) > _MAX_LINE_LEN:
            raise KeyFileError(source, number, f"line longer than {_MAX_LINE_LEN} characters")
        try:
            key = _parse_line(line.split())
        except ValueError as exc:
            raise KeyFileError(source, number, str(exc)) from None
        if key.key_id in keys:
            raise KeyFileError(source, number, f"duplicate key id {key.key_id}")
        keys[key.key_id] = key
    return keys


def load_key_file(path: str | Path) -> dict[int, SymmetricKey]:
    """Read and parse a chrony key file (the daemon calls this at start-up)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise KeyFileError(str(p), 0, f"cannot read: {exc.strerror or exc}") from None
    return parse_key_file(text, str(p))

