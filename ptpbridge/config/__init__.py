"""Daemon configuration: pydantic models and the TOML loader."""

from ptpbridge.config.loader import ConfigError, load_config
from ptpbridge.config.models import DaemonConfig

__all__ = ["ConfigError", "DaemonConfig", "load_config"]
