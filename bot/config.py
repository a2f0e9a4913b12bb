"""Configuration from a TOML file and the environment.

Precedence: environment > TOML file > defaults. Secrets (tokens, signing secrets) are read from
the environment or from files named by `<NAME>_FILE` (Docker/Kubernetes secrets) and are never
printed: `Secret` hides its value from repr and str.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import normalise_language

DEFAULT_CONFIG_FILE = "samskap.toml"


class Secret:
    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass
class Config:
    database_url: str = "sqlite:///samskap.db"
    adapter: str = "console"
    language: str = "nb"
    timezone: str = "Europe/Oslo"
    network_name: str = "Demo-nettverket"
    follow_up_days: int = 14
    scheduler_tick_seconds: float = 1.0
    log_level: str = "INFO"
    # Free-form sections for adapters and features ([slack], [discord], [digest], ...).
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "defaults"

    def section(self, name: str) -> dict[str, Any]:
        return self.sections.get(name, {})


_ENV_KEYS = {
    "SAMSKAP_DATABASE_URL": "database_url",
    "SAMSKAP_ADAPTER": "adapter",
    "SAMSKAP_LANGUAGE": "language",
    "SAMSKAP_TIMEZONE": "timezone",
    "SAMSKAP_NETWORK_NAME": "network_name",
    "SAMSKAP_FOLLOW_UP_DAYS": "follow_up_days",
    "SAMSKAP_LOG_LEVEL": "log_level",
}

_TOP_LEVEL = {
    "database_url",
    "adapter",
    "language",
    "timezone",
    "network_name",
    "follow_up_days",
    "scheduler_tick_seconds",
    "log_level",
}


def secret(name: str, env: dict[str, str] | None = None) -> Secret:
    """Read a secret from `NAME`, or from the file named by `NAME_FILE`."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    if value := env.get(name):
        return Secret(value.strip())
    if path := env.get(f"{name}_FILE"):
        try:
            return Secret(Path(path).read_text(encoding="utf-8").strip())
        except OSError:
            return Secret("")
    return Secret("")


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    cfg = Config()
    file = Path(path or env.get("SAMSKAP_CONFIG") or DEFAULT_CONFIG_FILE)
    if file.exists():
        with file.open("rb") as fh:
            data = tomllib.load(fh)
        cfg.source = str(file)
        for key, value in data.items():
            if key in _TOP_LEVEL:
                setattr(cfg, key, value)
            elif isinstance(value, dict):
                cfg.sections[key] = value
            else:
                cfg.sections.setdefault("unknown", {})[key] = value
    elif path is not None:
        cfg.sections.setdefault("problems", {})["config_file"] = str(file)
    for env_key, attr in _ENV_KEYS.items():
        if env_key in env:
            value: Any = env[env_key]
            if attr == "follow_up_days":
                try:
                    value = int(value)
                except ValueError:
                    cfg.sections.setdefault("problems", {})[env_key] = value
                    continue
            setattr(cfg, attr, value)
    return cfg


def check_config(cfg: Config, env: dict[str, str] | None = None) -> list[str]:
    """Problems in plain words; an empty list means the configuration is usable."""
    env = dict(os.environ) if env is None else env
    problems: list[str] = []
    extra = cfg.sections.get("problems", {})
    if "config_file" in extra:
        problems.append(f"The configuration file {extra['config_file']} does not exist.")
    for key in extra:
        if key.startswith("SAMSKAP_"):
            problems.append(f"{key} must be a whole number (it is {extra[key]!r}).")
    for key in cfg.sections.get("unknown", {}):
        problems.append(f"Unknown setting {key!r} in {cfg.source}.")
    if not normalise_language(cfg.language):
        problems.append(f"Language {cfg.language!r} is not supported; use 'nb' (bokmål) or 'en' (English).")
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"Time zone {cfg.timezone!r} is unknown; use a name like 'Europe/Oslo'.")
    if not isinstance(cfg.follow_up_days, int) or not 1 <= cfg.follow_up_days <= 365:
        problems.append("follow_up_days must be a whole number of days between 1 and 365.")
    url = cfg.database_url
    if not (url.startswith("sqlite") or url.startswith("postgres")):
        problems.append("database_url must start with sqlite:/// or postgresql://.")
    if cfg.adapter not in ("console", "slack", "discord", "teams"):
        problems.append(f"Adapter {cfg.adapter!r} is unknown; use console, slack, discord or teams.")
    if cfg.adapter == "slack":
        if not secret("SLACK_BOT_TOKEN", env) and not secret("SLACK_CLIENT_ID", env):
            problems.append("Slack needs SLACK_BOT_TOKEN (or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET for installs).")
        if not secret("SLACK_APP_TOKEN", env) and not secret("SLACK_SIGNING_SECRET", env):
            problems.append("Slack over HTTP needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode).")
    if cfg.adapter == "discord" and not secret("DISCORD_BOT_TOKEN", env):
        problems.append("Discord needs DISCORD_BOT_TOKEN.")
    if cfg.adapter == "teams":
        problems += _teams_problems(env)
    return problems


def _teams_problems(env: dict[str, str]) -> list[str]:
    """Teams runs without an app id (unauthenticated, for local testing); with one it needs the rest."""
    prefix = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
    app_id = env.get(prefix + "CLIENTID") or env.get("MicrosoftAppId")
    if not app_id:
        return []
    app_type = (env.get(prefix + "AUTHTYPE") or env.get("MicrosoftAppType") or "SingleTenant").lower()
    problems = []
    has_secret = secret(prefix + "CLIENTSECRET", env) or secret("MicrosoftAppPassword", env)
    has_cert = env.get(prefix + "CERTPFXFILE") or env.get("MicrosoftAppCertificateFile")
    if app_type not in ("userassignedmsi", "usermanagedidentity") and not has_secret and not has_cert:
        problems.append("Teams needs the app's secret (MicrosoftAppPassword) or a certificate with MicrosoftAppId.")
    if app_type in ("singletenant", "clientsecret", "certificate") and not (
        env.get(prefix + "TENANTID") or env.get("MicrosoftAppTenantId")
    ):
        problems.append("A single-tenant Teams bot needs its tenant id (MicrosoftAppTenantId).")
    return problems
