"""`Retry-After` as the platforms send it, read one way by every adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

Default = TypeVar("Default", float, None)


def retry_after_seconds(headers: Mapping[str, Any] | None, default: Default = None) -> float | Default:  # type: ignore[assignment]
    """Seconds from a `Retry-After` header; tolerant of "1.5", " 2 ", lists and garbage (then `default`)."""
    for name, value in (headers or {}).items():
        if name.lower() != "retry-after":
            continue
        raw = value[0] if isinstance(value, list | tuple) and value else value
        try:
            return max(0.0, float(str(raw).strip()))
        except ValueError:
            return default
    return default
