"""Load a TOML config into DaemonConfig with errors that name file, key and reason."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ptpbridge.config.models import DaemonConfig


class ConfigError(Exception):
    """A config problem worded for the operator: file, key, reason."""


def _key_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


def _describe(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = _key_path(tuple(err["loc"]))
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        else:
            reason = err["msg"]
            if "input" in err and not isinstance(err["input"], dict):
                reason += f" (got {err['input']!r})"
        lines.append(f"{path}: {key}: {reason}")
    return "\n".join(lines)


def validate_config(data: dict[str, Any], path: Path) -> DaemonConfig:
    try:
        return DaemonConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, exc)) from None


def load_config(path: Path | str | None, overrides: dict[str, Any] | None = None) -> DaemonConfig:
    """Read FILE (or take defaults when None) and apply command-line overrides.

    `overrides` maps dotted keys ("clock.device") to values; they pass the same
    validation as the file so a bad --clock is reported like a bad key.
    """
    data: dict[str, Any] = {}
    source = Path(path) if path is not None else Path("<defaults>")
    if path is not None:
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{source}: not UTF-8 text: {exc.reason}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: TOML syntax error: {exc}") from None
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for name in parents:
            child = node.setdefault(name, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{source}: {name}: must be a table to apply --{leaf}")
            node = child
        node[leaf] = value
    return validate_config(data, source)
