"""Strict readers for ``BRIDGENOTE_*`` environment variables.

Every setting is read through one of these functions so that a typo such as
``BRIDGENOTE_DEBUG=ture`` stops the process with a message naming the variable,
instead of silently falling back to a default. ``NAME_FILE`` may point at a file
holding the value (Docker and Kubernetes secrets).
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "BRIDGENOTE_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """A BRIDGENOTE_* variable has a value that cannot be used."""


def raw(name: str) -> str | None:
    """The value of ``BRIDGENOTE_<name>``, or of the file named by ``BRIDGENOTE_<name>_FILE``."""
    key = PREFIX + name
    file_key = key + "_FILE"
    if os.environ.get(file_key):
        path = Path(os.environ[file_key])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{file_key}: cannot read {path}: {exc.strerror}") from exc
    value = os.environ.get(key)
    return None if value is None or value.strip() == "" else value.strip()


def string(name: str, default: str) -> str:
    value = raw(name)
    return default if value is None else value


def boolean(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ConfigError(f"{PREFIX}{name}={value!r} is not a boolean (use true/false, 1/0, yes/no)")


def integer(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}={value!r} is not a whole number") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{PREFIX}{name}={number} is below the minimum {minimum}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{PREFIX}{name}={number} is above the maximum {maximum}")
    return number


def strings(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    value = raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def choice(name: str, default: str, choices: set[str]) -> str:
    value = string(name, default)
    if value not in choices:
        allowed = ", ".join(sorted(choices))
        raise ConfigError(f"{PREFIX}{name}={value!r} must be one of: {allowed}")
    return value
