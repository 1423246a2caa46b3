# SPDX-License-Identifier: GPL-2.0-or-later
"""NTP protocol numbers (RFC 5905, RFC 7822, IANA registries): the one place that names them.

Everything else imports these names instead of repeating a literal, so a
reader can check each fact against its source once.
"""

from __future__ import annotations

import enum
from typing import Final

from ptpbridge.timebase import NS_PER_S

# Seconds from the NTP prime epoch (1900-01-01 00:00 UTC) to the Unix epoch.
NTP_UNIX_EPOCH_OFFSET_S: Final = 2_208_988_800
# Seconds in one NTP era: the 32-bit seconds field wraps after this many.
NTP_ERA_SECONDS: Final = 1 << 32

NTP_PORT: Final = 123

NTP_HEADER_LEN: Final = 48
# RFC 7822: an extension field is at least 16 octets and a multiple of 4;
# the last one of a packet without a MAC is at least 28 octets so that it
# cannot be mistaken for a MAC.
EXT_FIELD_HEADER_LEN: Final = 4
EXT_FIELD_MIN_LEN: Final = 16
EXT_FIELD_LAST_NO_MAC_MIN_LEN: Final = 28
EXT_FIELD_MAX_LEN: Final = 0xFFFC
# MAC: 4-octet key identifier plus digest. A crypto-NAK is the key id alone.
MAC_KEY_ID_LEN: Final = 4
CRYPTO_NAK_LEN: Final = MAC_KEY_ID_LEN
# Total MAC lengths that can end an NTPv4 packet (MD5/AES-CMAC: 16-octet
# digest; SHA1 and longer hashes truncated to 20 as chrony does for v4).
MAC_LENS_V4: Final = frozenset({MAC_KEY_ID_LEN + 16, MAC_KEY_ID_LEN + 20})
# Older versions have no extension fields, so longer (SHA-2) digests fit.
MAC_DIGEST_MAX_LEN_V3: Final = 64
MAC_DIGEST_MAX_LEN_V4: Final = 20
MAC_DIGEST_MIN_LEN: Final = 16

# Highest stratum a synchronised server can have; 16 means unsynchronised.
STRATUM_MAX_SYNCED: Final = 15
STRATUM_UNSYNCHRONISED: Final = 16
STRATUM_KOD: Final = 0

# RFC 5905 section 7.2 (Table 4) and appendix A.1.1 parameters of the on-wire and
# mitigation algorithms, in integer ns where they are times. The server core's
# dispersion growth and the client's ClientTuning defaults both come from here.
PHI_PPB: Final = 15_000  # PHI (TOLERANCE), 15 ppm: assumed frequency tolerance, dispersion growth rate
MAXDISP_NS: Final = 16 * NS_PER_S  # MAXDISP: a dispersion never exceeds it
MINDISP_NS: Final = 5_000_000  # MINDISP: floor of the delay term of root distance
MAXDIST_NS: Final = NS_PER_S  # MAXDIST: root distance beyond which a source is unfit
NSTAGE: Final = 8  # clock filter stages
NSANE: Final = 1  # minimum intersection survivors
NMIN: Final = 3  # minimum cluster survivors
PGATE: Final = 4  # poll-adjust gate, in jitters


class Mode(enum.IntEnum):
    """Association mode, the low three bits of the first octet."""

    RESERVED = 0
    SYMMETRIC_ACTIVE = 1
    SYMMETRIC_PASSIVE = 2
    CLIENT = 3
    SERVER = 4
    BROADCAST = 5
    CONTROL = 6
    PRIVATE = 7


class Leap(enum.IntEnum):
    """Leap indicator: the warning a server gives about the current UTC day."""

    NONE = 0
    INSERT = 1  # last minute of the day has 61 seconds
    DELETE = 2  # last minute of the day has 59 seconds
    UNSYNCHRONISED = 3


class KissCode(bytes, enum.Enum):
    """Kiss-o'-death codes we send (RFC 5905 section 7.4), as reference-id octets."""

    RATE = b"RATE"
    DENY = b"DENY"
    RSTR = b"RSTR"
    CRYP = b"CRYP"


class ExtensionFieldType(enum.IntEnum):
    """IANA "NTP Extension Field Types" we know by name (RFC 8915, RFC 7821)."""

    NTS_UNIQUE_IDENTIFIER = 0x0104
    NTS_COOKIE = 0x0204
    NTS_COOKIE_PLACEHOLDER = 0x0304
    NTS_AUTHENTICATOR = 0x0404
    CHECKSUM_COMPLEMENT = 0x2005


# Versions this server answers (in kind).
SUPPORTED_VERSIONS: Final = frozenset({2, 3, 4})
