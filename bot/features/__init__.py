"""Features. Each subpackage has `setup(bot)` that registers its handlers, jobs and service.

Features are discovered, not listed, so adding one touches no shared file.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core_api import CoreApi

# Features others build on go first; the rest follow in name order.
FIRST = ("membership", "ideas")


def feature_names() -> list[str]:
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)
    return [n for n in FIRST if n in found] + [n for n in found if n not in FIRST]


def setup_features(bot: CoreApi) -> None:
    for name in feature_names():
        module = importlib.import_module(f"{__name__}.{name}")
        module.setup(bot)
