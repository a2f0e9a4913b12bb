"""The layers, checked from the import statements (the files are parsed, never imported).

- `bot/` is platform-neutral: it never imports `adapters/` nor a platform's SDK.
- `storage/` is below the bot: it never imports `bot/` nor `adapters/`.
- A feature (`bot/features/<name>/`) never imports another feature's modules, and the core (the
  rest of `bot/`) imports no feature: features meet through the core.

Imports inside functions and under `if TYPE_CHECKING:` count too: they are dependencies all the same.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURES = frozenset(p.parent.name for p in (ROOT / "bot" / "features").glob("*/__init__.py"))

# The platforms' SDKs, and aiohttp's web server (the core may fetch pages with aiohttp's client,
# but serving HTTP, like receiving a platform's requests, is an adapter's job).
PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "discord", "microsoft_agents", "botbuilder", "msal", "aiohttp.web")

# Violations that existed when this test was written, as (file, what it imports). The list may only
# shrink: a new violation fails, and so does an entry here that is no longer needed.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def imported_modules(path: Path, root: Path = ROOT) -> Iterator[str]:
    """Every module a file may import: `from a import b` gives `a` and `a.b` (b may be a module)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                package = list(path.relative_to(root).parts[:-1])  # for `__init__.py`, the package itself
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def _is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _feature_of(module: str) -> str | None:
    parts = module.split(".")
    is_feature = len(parts) > 2 and parts[:2] == ["bot", "features"] and parts[2] in FEATURES
    return parts[2] if is_feature else None


def violations_of(path: Path, root: Path = ROOT) -> set[tuple[str, str]]:
    """(file, the forbidden module or package it imports) for one source file."""
    rel = path.relative_to(root).as_posix()
    parts = rel.split("/")
    own_feature = parts[2] if parts[:2] == ["bot", "features"] and len(parts) > 3 else None
    found: set[tuple[str, str]] = set()
    for module in imported_modules(path, root):
        if parts[0] == "bot":
            found |= {(rel, p) for p in ("adapters", *PLATFORM_SDKS) if _is_within(module, p)}
            feature = _feature_of(module)
            if feature is not None and feature != own_feature:
                found.add((rel, f"bot.features.{feature}"))
        elif parts[0] == "storage":
            found |= {(rel, ".".join(module.split(".")[:2])) for p in ("bot", "adapters") if _is_within(module, p)}
    return found


@functools.cache
def all_violations() -> set[tuple[str, str]]:
    files = [p for top in ("bot", "storage") for p in sorted((ROOT / top).rglob("*.py"))]
    assert len(files) > 50 and len(FEATURES) > 5, "the source files were not found"
    return set().union(*(violations_of(p) for p in files))


def test_no_new_layering_violations() -> None:
    new = sorted(all_violations() - KNOWN_VIOLATIONS)
    assert not new, "imports across the layers (see the docstring of tests/test_layering.py):\n" + "\n".join(
        f"  {file} imports {module}" for file, module in new
    )


def test_the_known_violations_are_still_there() -> None:
    fixed = sorted(KNOWN_VIOLATIONS - all_violations())
    assert not fixed, "fixed, so remove from KNOWN_VIOLATIONS in tests/test_layering.py:\n" + "\n".join(
        f"  {file} imports {module}" for file, module in fixed
    )


def test_each_rule_catches_a_bad_import(tmp_path: Path) -> None:
    """The checker itself: one forbidden import of each kind, written the ways Python allows."""
    cases = {
        "bot/core_x.py": ("from adapters.slack import client\n", "adapters"),
        "bot/sdk_x.py": ("import slack_sdk.web\n", "slack_sdk"),
        "bot/web_x.py": ("from aiohttp import web\n", "aiohttp.web"),
        "bot/lazy_x.py": ("def f():\n    import discord\n", "discord"),
        "bot/core_y.py": ("from bot.features.ideas.service import IdeasService\n", "bot.features.ideas"),
        "bot/features/ideas/x.py": ("from bot.features import samsnakk\n", "bot.features.samsnakk"),
        "bot/features/ideas/y.py": ("from ..samsnakk.calls import CallView\n", "bot.features.samsnakk"),
        "storage/x.py": ("from bot.messages import Message\n", "bot.messages"),
    }
    for rel, (source, module) in cases.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        assert violations_of(path, tmp_path) == {(rel, module)}, rel
    allowed = {
        "bot/features/ideas/z.py": "from bot.features.ideas import cards\nfrom . import cards\nimport aiohttp\n",
        "bot/z.py": "from bot.features import setup_features\nfrom bot.events import User\n",
        "storage/z.py": "from storage.models.core import Member\n",
    }
    for rel, source in allowed.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        assert violations_of(path, tmp_path) == set(), rel
