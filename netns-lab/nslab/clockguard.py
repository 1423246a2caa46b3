# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a command that cannot change the system clock: ``python -m nslab.clockguard -- CMD``.

All lab hosts share CLOCK_REALTIME, and a peer that steers it would corrupt
the ground truth of every test on the machine. Configuration (ptp4l
``free_running 1``, chronyd ``-x``) is the first line of defence; this is the
second one, enforced by the kernel: a seccomp filter makes every clock-setting
system call (clock_settime, clock_adjtime, adjtimex, settimeofday) return 0
without doing anything. Reads through clock_adjtime(modes=0) are caught too,
so the peer sees a zero frequency; that is harmless for a program whose
adjustments go nowhere.

It lets an unmodified ptp4l run its servo (``free_running 0``) so its port
reaches SLAVE, while the clock stays untouched. Before exec the guard proves
itself: a read-only clock_adjtime must come back unfilled, else it refuses
to run the command.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_KILL_PROCESS = 0x80000000

# seccomp_data: int nr; u32 arch; u64 ip; u64 args[6]
OFF_NR = 0
OFF_ARCH = 4

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_RET_K = 0x06

# (audit arch, x32 bit or None, {name: number})
ARCHES: dict[str, tuple[int, int | None, dict[str, int]]] = {
    "x86_64": (0xC000003E, 0x40000000,
               {"adjtimex": 159, "settimeofday": 164, "clock_settime": 227,
                "clock_adjtime": 305}),
    "aarch64": (0xC00000B7, None,
                {"adjtimex": 171, "settimeofday": 170, "clock_settime": 112,
                 "clock_adjtime": 266}),
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def build_filter(machine: str | None = None) -> bytes:
    """The classic-BPF program: fake success for clock setters, allow the rest."""
    machine = machine or platform.machine()
    if machine not in ARCHES:
        raise OSError(f"clockguard: no syscall table for {machine}")
    arch, x32, calls = ARCHES[machine]
    nums = sorted(calls.values())
    prog = [_insn(BPF_LD_W_ABS, 0, 0, OFF_ARCH),
            _insn(BPF_JEQ_K, 1, 0, arch),
            _insn(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
            _insn(BPF_LD_W_ABS, 0, 0, OFF_NR)]
    if x32 is not None:  # x32 ABI numbers alias the same calls: refuse them all
        prog += [_insn(BPF_JGE_K, 0, 1, x32), _insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | 1)]
    n = len(nums)
    for i, nr in enumerate(nums):
        # on match jump to the "fake success" return after the remaining checks
        prog.append(_insn(BPF_JEQ_K, n - i, 0, nr))
    prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW))
    prog.append(_insn(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | 0))
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> None:
    """Install the filter on this process (inherited by exec and children)."""
    libc = ctypes.CDLL(None, use_errno=True)
    prog = build_filter()
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = _SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(SECCOMP) failed")


def guarded() -> bool:
    """True when clock_adjtime is intercepted in this process.

    Asks CLOCK_REALTIME for its state with modes=0 (a pure read): the real
    kernel fills ``tick`` (10000 at HZ-independent USER_HZ=100), the filter
    returns 0 and leaves the buffer as it was (all 0xAA here).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(b"\xaa" * 256, 256)
    struct.pack_into("I", buf, 0, 0)  # modes = 0: read only
    rc = libc.clock_adjtime(0, buf)
    return bool(rc == 0 and buf.raw[8:256] == b"\xaa" * 248)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m nslab.clockguard -- CMD [ARGS...]", file=sys.stderr)
        return 2
    install()
    if not guarded():
        print("clockguard: filter not effective; refusing to run", file=sys.stderr)
        return 3
    os.execvp(args[0], args)
    return 127


if __name__ == "__main__":
    sys.exit(main())
