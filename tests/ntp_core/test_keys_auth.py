# SPDX-License-Identifier: GPL-2.0-or-later
"""chrony key files and MAC computation (RFC 4493 AES-CMAC vectors, chrony's example file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptpbridge.core.ntp import KeyFileError, KeyType, SymmetricKey, load_key_file, parse_key_file
from ptpbridge.core.ntp.auth import compute_digest, digest_len, verify_digest

# The example key file of chrony.conf(5), "keyfile" directive.
CHRONY_EXAMPLE = """\
10 tulip
11 hyacinth
20 MD5 ASCII:crocus
25 SHA1 HEX:933F62BE1D604E68A81B557F18CFA200483F5B70
30 AES128 HEX:7EA62AE64D190114D46D5A082F948EC1
31 AES256 HEX:37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39
"""


def test_chrony_example_file() -> None:
    keys = parse_key_file(CHRONY_EXAMPLE)
    assert sorted(keys) == [10, 11, 20, 25, 30, 31]
    assert keys[10] == SymmetricKey(10, KeyType.MD5, b"tulip")
    assert keys[20] == SymmetricKey(20, KeyType.MD5, b"crocus")
    assert keys[25].key_type is KeyType.SHA1 and keys[25].secret.hex().upper() == "933F62BE1D604E68A81B557F18CFA200483F5B70"
    assert keys[30].key_type is KeyType.AES128 and len(keys[30].secret) == 16
    assert keys[31].key_type is KeyType.AES256 and len(keys[31].secret) == 32
    assert "crocus" not in repr(keys[20])


def test_comments_blank_lines_and_case() -> None:
    keys = parse_key_file("# c\n\n! c\n  ; c\n% c\n5 sha1 hex:00ff\n")
    assert keys == {5: SymmetricKey(5, KeyType.SHA1, b"\x00\xff")}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("0 MD5 x", "outside 1..4294967295"),
        ("4294967296 MD5 x", "outside 1..4294967295"),
        ("-1 MD5 x", "not a positive integer"),
        ("abc MD5 x", "not a positive integer"),
        ("1 TIGER HEX:00", "unsupported key type 'TIGER'"),
        ("1 MD5 HEX:0G", "non-hexadecimal"),
        ("1 MD5 HEX:123", "even number"),
        ("1 MD5 HEX:", "even number"),
        ("1 AES128 HEX:00112233", "must be 16 octets, got 4"),
        ("1 AES256 HEX:000102030405060708090A0B0C0D0E0F", "must be 32 octets, got 16"),
        ("1 MD5 ASCII:", "empty key"),
        ("1 MD5 caf\u00e9", "printable ASCII"),
        ("1 MD5 a b", "expected 'ID [TYPE] KEY', got 4 fields"),
        ("1", "got 1 fields"),
        ("1 MD5 " + "a" * 2050, "longer than 2047"),
    ],
)
def test_errors_name_file_line_and_reason(line: str, reason: str) -> None:
    with pytest.raises(KeyFileError) as exc:
        parse_key_file(f"# header\n2 MD5 fine\n{line}\n", "/etc/ptpbridge/ntp.keys")
    assert exc.value.line == 3
    assert str(exc.value).startswith("/etc/ptpbridge/ntp.keys:3: ")
    assert reason in exc.value.reason


def test_duplicate_id_and_load(tmp_path: Path) -> None:
    path = tmp_path / "k.keys"
    path.write_text("7 MD5 one\n7 SHA1 two\n")
    with pytest.raises(KeyFileError, match=r"k\.keys:2: duplicate key id 7"):
        load_key_file(path)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key_file(tmp_path / "missing.keys")
    path.write_text(CHRONY_EXAMPLE)
    assert len(load_key_file(path)) == 6


RFC4493_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
RFC4493_M = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"
)


@pytest.mark.parametrize(
    ("mlen", "tag"),
    [
        (0, "bb1d6929e95937287fa37d129b756746"),
        (16, "070a16b46b4d4144f79bdd9dd04a287c"),
        (64, "51f0bebf7e3b9d92fc49741779363cfe"),
    ],
)
def test_aes_cmac_rfc4493_vectors(mlen: int, tag: str) -> None:
    key = SymmetricKey(1, KeyType.AES128, RFC4493_KEY)
    assert compute_digest(key, RFC4493_M[:mlen], 4).hex() == tag
    assert verify_digest(key, RFC4493_M[:mlen], 4, bytes.fromhex(tag))
    assert not verify_digest(key, RFC4493_M[:mlen], 4, bytes.fromhex(tag)[:-1] + b"\x00")
    assert not verify_digest(key, RFC4493_M[:mlen], 4, bytes.fromhex(tag)[:-1])


def test_digest_lengths_per_version() -> None:
    keys = parse_key_file(CHRONY_EXAMPLE + "40 SHA512 HEX:00\n")
    assert digest_len(keys[20], 4) == 16 and digest_len(keys[25], 4) == 20
    assert digest_len(keys[30], 4) == 16 and digest_len(keys[31], 4) == 16
    assert digest_len(keys[40], 4) == 20 and digest_len(keys[40], 3) == 64
    assert len(compute_digest(keys[40], b"x" * 48, 3)) == 64
