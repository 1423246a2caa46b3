# SPDX-License-Identifier: GPL-2.0-or-later
"""Symmetric-key MACs for NTP packets.

Legacy hashes (MD5, SHA1, SHA-2) digest key || packet (RFC 5905 appendix,
chrony's "hash" keys); AES keys use CMAC over the packet (RFC 8573). For
NTPv4 chrony truncates digests to 20 octets so a MAC can never look like
an extension field; we do the same. Verification compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.cmac import CMAC

from ptpbridge.core.ntp.keys import KeyType, SymmetricKey
from ptpbridge.wire.ntp.constants import MAC_DIGEST_MAX_LEN_V3, MAC_DIGEST_MAX_LEN_V4

_HASH_NAMES = {
    KeyType.MD5: "md5",
    KeyType.SHA1: "sha1",
    KeyType.SHA256: "sha256",
    KeyType.SHA384: "sha384",
    KeyType.SHA512: "sha512",
}


def digest_len(key: SymmetricKey, version: int) -> int:
    """Octets of digest a packet of NTP `version` carries for this key."""
    cap = MAC_DIGEST_MAX_LEN_V4 if version >= 4 else MAC_DIGEST_MAX_LEN_V3
    return min(key.key_type.digest_len, cap)


def compute_digest(key: SymmetricKey, data: bytes | bytearray | memoryview, version: int) -> bytes:
    """The MAC digest of the covered octets (header and extension fields)."""
    if key.key_type.is_cmac:
        cmac = CMAC(algorithms.AES(key.secret))
        cmac.update(bytes(data))
        return cmac.finalize()
    h = hashlib.new(_HASH_NAMES[key.key_type], key.secret, usedforsecurity=False)
    h.update(data)
    return h.digest()[: digest_len(key, version)]


def verify_digest(key: SymmetricKey, data: bytes | bytearray | memoryview, version: int, digest: bytes) -> bool:
    """True when `digest` is this key's MAC of `data` (constant-time compare)."""
    if len(digest) != digest_len(key, version):
        return False
    return hmac.compare_digest(compute_digest(key, data, version), digest)
