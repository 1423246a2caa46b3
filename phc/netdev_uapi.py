# SPDX-License-Identifier: GPL-2.0-or-later
"""Interface timestamping ABI: SIOCETHTOOL/ETHTOOL_GET_TS_INFO and SIOC[GS]HWTSTAMP.

Every UPPERCASE integer is a kernel constant under its C name (linux/ethtool.h,
linux/sockios.h, linux/if.h); tests/phc proves them and the layouts against
``C_HEADERS``.  The HWTSTAMP_* and SOF_* values live in phc.net_tstamp.
"""

from __future__ import annotations

import ctypes

C_HEADERS = ("linux/if.h", "linux/ethtool.h", "linux/sockios.h", "linux/net_tstamp.h")

IFNAMSIZ = 16
SIOCETHTOOL = 0x8946
SIOCSHWTSTAMP = 0x89B0
SIOCGHWTSTAMP = 0x89B1
ETHTOOL_GET_TS_INFO = 0x00000041


class ethtool_ts_info(ctypes.Structure):
    _c_name_ = "struct ethtool_ts_info"
    _fields_ = [
        ("cmd", ctypes.c_uint32),
        ("so_timestamping", ctypes.c_uint32),
        ("phc_index", ctypes.c_int32),
        ("tx_types", ctypes.c_uint32),
        ("tx_reserved", ctypes.c_uint32 * 3),
        ("rx_filters", ctypes.c_uint32),
        ("rx_reserved", ctypes.c_uint32 * 3),
    ]


class hwtstamp_config(ctypes.Structure):
    _c_name_ = "struct hwtstamp_config"
    _fields_ = [
        ("flags", ctypes.c_int),
        ("tx_type", ctypes.c_int),
        ("rx_filter", ctypes.c_int),
    ]


class ifreq(ctypes.Structure):
    """Only the members we use: the name and the ifr_data pointer.

    ifr_data is one member of a union whose largest member (struct ifmap) is
    longer than a pointer; ``_union_tail`` stands for the rest of it.
    """

    _c_name_ = "struct ifreq"
    _c_unnamed_ = ("_union_tail",)
    _fields_ = [
        ("ifr_name", ctypes.c_char * IFNAMSIZ),
        ("ifr_data", ctypes.c_void_p),
        ("_union_tail", ctypes.c_ubyte * 16),
    ]
