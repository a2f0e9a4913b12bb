"""All models, imported so that `Base.metadata` knows every table.

Feature models live in their own modules here; each is imported below.
"""

import importlib
import pkgutil

from storage.models.base import Base

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["Base"]
