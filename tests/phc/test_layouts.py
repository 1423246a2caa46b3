# SPDX-License-Identifier: GPL-2.0-or-later
"""Our ctypes layouts and constants, proven against the machine's own C headers.

The C program is generated from the Python definitions (every field of every
bound struct, every UPPERCASE integer of the ABI modules, every member of
every kernel enum), so adding a field or a constant without proof is
impossible.  Struct members the headers do not name (unnamed bitfields, the
rest of a union) are checked to lie inside the struct and clear of every
named member.
"""

from __future__ import annotations

import ast
import ctypes
import enum
import importlib
import inspect
import pkgutil
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import phc
import phc.net_tstamp
import phc.netdev_uapi
import phc.ptp_uapi
import phc.timex_uapi

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")

# net_tstamp.py predates C_HEADERS; these are the headers that define its names.
NET_TSTAMP_HEADERS = (
    "sys/socket.h", "linux/net_tstamp.h", "linux/errqueue.h", "linux/in.h",
    "linux/in6.h", "linux/if_packet.h",
)
# C spelling of each enum's members: prefix + member name.
ENUM_C_PREFIX = {
    "SofFlag": "SOF_TIMESTAMPING_",
    "HwTstampTx": "HWTSTAMP_TX_",
    "HwTstampFilter": "HWTSTAMP_FILTER_",
    "PinFunction": "PTP_PF_",
    "ExttsEdge": "PTP_",
}
# Enums in phc that are our own vocabulary, not kernel values.
NON_KERNEL_ENUMS: set[str] = set()


def _headers(module: ModuleType) -> tuple[str, ...]:
    if module is phc.net_tstamp:
        return NET_TSTAMP_HEADERS
    return tuple(module.C_HEADERS)


@dataclass(frozen=True)
class Group:
    """One C translation unit: headers that compile together, and what they prove."""

    name: str
    headers: tuple[str, ...]
    modules: tuple[ModuleType, ...]
    extra_enums: tuple[type[enum.Enum], ...] = ()


def _all_phc_modules() -> list[ModuleType]:
    return [importlib.import_module(f"phc.{m.name}") for m in pkgutil.iter_modules(phc.__path__)]


def _kernel_enums_outside_abi_modules() -> list[type[enum.Enum]]:
    abi = {phc.net_tstamp, phc.ptp_uapi, phc.netdev_uapi, phc.timex_uapi}
    found = []
    for module in _all_phc_modules():
        if module in abi:
            continue
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, enum.Enum) and obj.__module__ == module.__name__
                    and obj.__name__ not in NON_KERNEL_ENUMS):
                found.append(obj)
    return found


def groups() -> list[Group]:
    kernel_modules = (phc.net_tstamp, phc.ptp_uapi, phc.netdev_uapi)
    headers: list[str] = []
    for module in kernel_modules:
        headers += [h for h in _headers(module) if h not in headers]
    return [
        Group("kernel", tuple(headers), kernel_modules, tuple(_kernel_enums_outside_abi_modules())),
        Group("kernel-timex", tuple(phc.timex_uapi.C_HEADERS), (phc.timex_uapi,)),
        Group("libc-timex", tuple(phc.timex_uapi.LIBC_HEADERS), (phc.timex_uapi,)),
    ]


# -- what Python claims ----------------------------------------------------------

@dataclass(frozen=True)
class FieldClaim:
    struct: str  # C type, e.g. "struct timex"
    member: str  # C member designator, e.g. "time.tv_usec"
    offset: int
    size: int
    signed: bool | None  # None: not an integer (or array of integers)
    dims: int  # array dimensions of the member (0 for a scalar)


@dataclass(frozen=True)
class UnnamedClaim:
    struct: str
    name: str
    offset: int
    size: int


_SIGNED = set("bhilq")
_UNSIGNED = set("BHILQ")


def _array_dims(ctype: Any) -> int:
    dims = 0
    while issubclass(ctype, ctypes.Array):
        ctype, dims = ctype._type_, dims + 1
    return dims


def _int_signedness(ctype: Any) -> bool | None:
    while issubclass(ctype, ctypes.Array):
        ctype = ctype._type_
    code = getattr(ctype, "_type_", None)
    if not isinstance(code, str):
        return None
    if code in _SIGNED:
        return True
    if code in _UNSIGNED:
        return False
    return None


def _walk(cls: Any, c_struct: str, prefix: str, base: int,
          fields: list[FieldClaim], unnamed: list[UnnamedClaim]) -> None:
    anonymous = set(getattr(cls, "_anonymous_", ()))
    not_in_c = set(getattr(cls, "_c_unnamed_", ()))
    for name, ctype, *_ in cls._fields_:
        desc = getattr(cls, name)
        offset = base + desc.offset
        if name in anonymous:
            _walk(ctype, c_struct, prefix, offset, fields, unnamed)
            continue
        if name in not_in_c:
            unnamed.append(UnnamedClaim(c_struct, prefix + name, offset, desc.size))
            continue
        member = prefix + name
        fields.append(FieldClaim(c_struct, member, offset, desc.size, _int_signedness(ctype),
                                 _array_dims(ctype)))
        if isinstance(ctype, type) and issubclass(ctype, (ctypes.Structure, ctypes.Union)):
            _walk(ctype, c_struct, member + ".", offset, fields, unnamed)


def structs_of(module: ModuleType) -> list[Any]:
    return [obj for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, ctypes.Structure)
            and obj.__module__ == module.__name__ and "_c_name_" in vars(obj)]


def constants_of(module: ModuleType) -> dict[str, int]:
    """UPPERCASE integers assigned at the top of the module's source."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text())
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        names += [t.id for t in targets
                  if isinstance(t, ast.Name) and t.id.isupper() and not t.id.startswith("_")]
    values = {n: getattr(module, n) for n in names}
    return {n: v for n, v in values.items() if isinstance(v, int) and not isinstance(v, bool)}


def enum_constants(enums: list[type[enum.Enum]]) -> dict[str, int]:
    result = {}
    for cls in enums:
        prefix = ENUM_C_PREFIX[cls.__name__]
        for member in cls:
            result[prefix + str(member.name)] = int(member.value)
    return result


def enums_of(module: ModuleType) -> list[type[enum.Enum]]:
    return [obj for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, enum.Enum) and obj.__module__ == module.__name__]


@dataclass
class Claims:
    sizes: dict[str, tuple[int, int]]  # C struct -> (size, alignment)
    fields: list[FieldClaim]
    unnamed: list[UnnamedClaim]
    constants: dict[str, int]


def claims_for(group: Group) -> Claims:
    sizes: dict[str, tuple[int, int]] = {}
    fields: list[FieldClaim] = []
    unnamed: list[UnnamedClaim] = []
    constants: dict[str, int] = {}
    enums = list(group.extra_enums)
    for module in group.modules:
        for cls in structs_of(module):
            sizes[cls._c_name_] = (ctypes.sizeof(cls), ctypes.alignment(cls))
            _walk(cls, cls._c_name_, "", 0, fields, unnamed)
        constants.update(constants_of(module))
        enums += enums_of(module)
    constants.update(enum_constants(enums))
    return Claims(sizes, fields, unnamed, constants)


# -- what C says ------------------------------------------------------------------

def c_source(group: Group, claims: Claims) -> str:
    lines = ["#define _GNU_SOURCE", "#include <stddef.h>", "#include <stdio.h>"]
    lines += [f"#include <{h}>" for h in group.headers]
    lines += ["int main(void)", "{"]
    for i, (struct, _) in enumerate(claims.sizes.items()):
        lines.append(f'    printf("S {i} %zu %zu\\n", sizeof({struct}), _Alignof({struct}));')
    for i, f in enumerate(claims.fields):
        ref = f"((({f.struct} *)0)->{f.member})"
        lines.append(f'    printf("F {i} %zu %zu\\n", offsetof({f.struct}, {f.member}), sizeof {ref});')
        if f.signed is not None:
            element = ref + "[0]" * f.dims
            lines.append(f'    printf("G {i} %d\\n", (int)((__typeof__({element}))-1 < 0));')
    for i, name in enumerate(claims.constants):
        lines.append(f'    printf("C {i} %lld\\n", (long long)({name}));')
    lines += ["    return 0;", "}"]
    return "\n".join(lines) + "\n"


def run_c(group: Group, claims: Claims, workdir: Path) -> dict[str, dict[int, list[int]]]:
    """Compile and run the probe; returns {"S"|"F"|"G"|"C": {id: numbers}}."""
    source = workdir / f"probe-{group.name}.c"
    binary = workdir / f"probe-{group.name}"
    source.write_text(c_source(group, claims))
    build = subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Werror", "-o", str(binary), str(source)],
                           capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, f"{group.name}: C probe does not compile:\n{build.stderr}"
    out = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30, check=True).stdout
    result: dict[str, dict[int, list[int]]] = {"S": {}, "F": {}, "G": {}, "C": {}}
    for line in out.splitlines():
        kind, ident, *numbers = line.split()
        result[kind][int(ident)] = [int(n) for n in numbers]
    return result


@pytest.fixture(scope="module", params=groups(), ids=lambda g: g.name)
def probed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Group, Claims, dict[str, dict[int, list[int]]]]:
    group: Group = request.param
    claims = claims_for(group)
    return group, claims, run_c(group, claims, tmp_path_factory.mktemp(group.name))


def test_struct_sizes_and_alignment(probed: Any) -> None:
    _, claims, c = probed
    assert claims.sizes, "no structs to prove"
    for i, (struct, ours) in enumerate(claims.sizes.items()):
        assert tuple(c["S"][i]) == ours, f"{struct}: (size, alignment) C {c['S'][i]} vs ours {ours}"


def test_every_field_offset_size_and_signedness(probed: Any) -> None:
    _, claims, c = probed
    for i, f in enumerate(claims.fields):
        assert c["F"][i] == [f.offset, f.size], \
            f"{f.struct}.{f.member}: C (offset, size) {c['F'][i]} vs ours {[f.offset, f.size]}"
        if f.signed is not None:
            assert bool(c["G"][i][0]) == f.signed, f"{f.struct}.{f.member}: signedness differs"


def test_unnamed_members_cover_only_unnamed_bytes(probed: Any) -> None:
    _, claims, c = probed
    sizes = dict(zip(claims.sizes, (c["S"][i][0] for i in range(len(claims.sizes)))))
    for u in claims.unnamed:
        assert u.offset + u.size <= sizes[u.struct], f"{u.struct}.{u.name} runs past the struct"
        for i, f in enumerate(claims.fields):
            if f.struct != u.struct:
                continue
            c_offset, c_size = c["F"][i]
            overlaps = c_offset < u.offset + u.size and u.offset < c_offset + c_size
            # A named member may contain the unnamed bytes only if it is an
            # enclosing aggregate; top-level members never may.
            assert not overlaps or "." in f.member, f"{u.struct}.{u.name} overlaps {f.member}"


def test_every_constant(probed: Any) -> None:
    _, claims, c = probed
    assert claims.constants, "no constants to prove"
    wrong = {name: (c["C"][i][0], ours) for i, (name, ours) in enumerate(claims.constants.items())
             if c["C"][i][0] != ours}
    assert not wrong, f"C value vs ours: {wrong}"


def test_probe_covers_every_bound_struct_and_enum() -> None:
    """No Structure or kernel enum in phc escapes the proof."""
    proven_structs = {name for g in groups() for name in claims_for(g).sizes}
    proven_enums = {cls for g in groups() for m in g.modules for cls in enums_of(m)}
    proven_enums |= {cls for g in groups() for cls in g.extra_enums}
    for module in _all_phc_modules():
        for obj in vars(module).values():
            if not inspect.isclass(obj) or obj.__module__ != module.__name__:
                continue
            if issubclass(obj, ctypes.Structure):
                assert getattr(obj, "_c_name_", None) in proven_structs, f"{obj} is not proven"
            if issubclass(obj, enum.Enum) and obj.__name__ not in NON_KERNEL_ENUMS:
                assert obj in proven_enums, f"{obj} is not proven"


def test_ioctl_numbers_depend_on_struct_size() -> None:
    """The helpers encode the size: a request for a bigger struct is a different number."""
    from phc.ioc import IOR, IOW, IOWR

    assert IOR("=", 1, 80) != IOR("=", 1, 84)
    assert len({IOR("=", 1, 8), IOW("=", 1, 8), IOWR("=", 1, 8)}) == 3
