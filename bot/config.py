"""Configuration from a TOML file and the environment.

Precedence: environment > TOML file > defaults. Secrets (tokens, signing secrets) are read from
the environment or from files named by `<NAME>_FILE` (Docker/Kubernetes secrets) and are never
printed: `Secret` hides its value from repr and str.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.i18n import normalise_language
from bot.times import find_zone

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
    # How long a worker holds a delivery it is sending before another may take it over (longer
    # than any one send), and how long a stopping worker lets work under way finish.
    outbox_lease_seconds: float = 120.0
    # How long a running job is its worker's; renewed while it runs, so a killed worker's job is retried soon.
    job_lease_seconds: float = 60.0
    shutdown_grace_seconds: float = 8.0
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one JSON object per line, for a log collector
    # Free-form sections for adapters and features ([slack], [discord], [digest], ...).
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "defaults"
    # What `load_config` found wrong while reading (the file, the environment); `check_config` adds the rest.
    problems: list[str] = field(default_factory=list)

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
    "SAMSKAP_LOG_FORMAT": "log_format",
}

_TOP_LEVEL = {
    "database_url": str,
    "adapter": str,
    "language": str,
    "timezone": str,
    "network_name": str,
    "follow_up_days": int,
    "scheduler_tick_seconds": float,
    "outbox_lease_seconds": float,
    "job_lease_seconds": float,
    "shutdown_grace_seconds": float,
    "log_level": str,
    "log_format": str,
}

# The sections of the TOML file and the keys each may hold; anything else is a typing mistake.
KNOWN_SECTIONS: dict[str, set[str]] = {
    "slack": {"client_id", "api_url", "host", "port", "pace_seconds", "max_rate_limit_wait"},
    "discord": {
        "message_content", "members", "defer_after", "max_ratelimit_timeout", "guild_ready_timeout",
        "api_url", "gateway_url", "host",
    },
    "digest": {
        "read_the_web", "allow_private_addresses", "fetch_timeout", "fetch_max_bytes", "fetch_max_redirects",
        "fetch_concurrency",
    },
    "samsnakk": {"video_base_url"},
    "teams": {"host", "tenants", "keys_url"},
    # The address people reach samskap's HTTP port at: leaders' links, calendar feeds, links in e-mails.
    "web": {"base_url"},
    # SMTP for the digest by e-mail; the password only from SAMSKAP_SMTP_PASSWORD(_FILE).
    "mail": {"host", "port", "security", "username", "from_address", "timeout", "rate_per_second"},
}  # fmt: skip

# Read only from the environment or `<NAME>_FILE`, never from the TOML file.
SECRET_NAMES = (
    "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_SECRET", "DISCORD_BOT_TOKEN",
    "SAMSKAP_SECRET_KEY", "SAMSKAP_WEB_SECRET", "SAMSKAP_SMTP_PASSWORD", "MicrosoftAppPassword",
    "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET",
)  # fmt: skip
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def secret(name: str, env: Mapping[str, str] | None = None) -> Secret:
    """Read a secret from `NAME`, or from the file named by `NAME_FILE` (`check_config` says when
    that file cannot be read)."""
    env = os.environ if env is None else env
    if value := env.get(name):
        return Secret(value.strip())
    if path := env.get(f"{name}_FILE"):
        try:
            return Secret(Path(path).read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError):
            return Secret("")
    return Secret("")


def secret_file_problem(name: str, env: dict[str, str]) -> str | None:
    """Why the file named by `NAME_FILE` cannot give the secret, or None."""
    path = env.get(f"{name}_FILE")
    if not path or env.get(name):
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except IsADirectoryError:
        return f"{name}_FILE names {path}, which is a folder, not a file."
    except FileNotFoundError:
        return f"{name}_FILE names {path}, which does not exist."
    except PermissionError:
        return f"{name}_FILE names {path}, which samskap may not read (check its permissions)."
    except UnicodeDecodeError:
        return f"{name}_FILE names {path}, which is not UTF-8 text."
    except OSError as error:
        return f"{name}_FILE names {path}, which cannot be read ({error.strerror or error})."
    if not text.strip():
        return f"{name}_FILE names {path}, which is empty."
    return None


def unreadable_secret_files(env: dict[str, str]) -> list[str]:
    """Why each secret named by a `<NAME>_FILE` that cannot be read is missing, one line each."""
    return [problem for name in SECRET_NAMES if (problem := secret_file_problem(name, env))]


def secret_values(env: dict[str, str] | None = None) -> list[str]:
    """Every configured secret, for the log formatter to blank should one ever reach a log line."""
    env = dict(os.environ) if env is None else env
    values = [secret(name, env).get() for name in SECRET_NAMES]
    keys = secret("SAMSKAP_SECRET_KEY", env).get()
    values += [key.strip() for key in keys.split(",")]
    for name in ("SAMSKAP_DATABASE_URL",):
        password = _url_password(env.get(name, ""))
        if password:
            values.append(password)
    return [v for v in values if v]


def _url_password(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password or "" if url else ""
    except (ArgumentError, ValueError):
        return ""


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    env = dict(os.environ) if env is None else env
    cfg = Config()
    file = Path(path or env.get("SAMSKAP_CONFIG") or DEFAULT_CONFIG_FILE)
    if file.exists():
        cfg.source = str(file)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            cfg.problems.append(f"The configuration file {file} cannot be read ({_reason(error)}).")
            data = {}
        except tomllib.TOMLDecodeError as error:
            cfg.problems.append(f"The configuration file {file} is not valid TOML: {error}.")
            data = {}
        for key, value in data.items():
            if key in _TOP_LEVEL:
                setattr(cfg, key, value)
            elif isinstance(value, dict):
                cfg.sections[key] = value
            else:
                cfg.problems.append(f"Unknown setting {key!r} in {file}.")
    elif path is not None:
        cfg.problems.append(f"The configuration file {file} does not exist.")
    if public_url := env.get("SAMSKAP_PUBLIC_URL"):  # where the web pages are reached ([web] base_url)
        cfg.sections.setdefault("web", {})["base_url"] = public_url
    for env_key, attr in _ENV_KEYS.items():
        if env_key in env:
            env_value: Any = env[env_key]
            if attr == "follow_up_days":
                try:
                    env_value = int(env_value)
                except ValueError:
                    cfg.problems.append(f"{env_key} must be a whole number (it is {env_value!r}).")
                    continue
            setattr(cfg, attr, env_value)
    if env.get("SAMSKAP_PUBLIC_URL"):
        cfg.sections.setdefault("web", {})["base_url"] = env["SAMSKAP_PUBLIC_URL"]
    return cfg


def public_url(cfg: Config) -> str:
    """`[web] base_url` (or SAMSKAP_PUBLIC_URL) without its trailing slash; "" when not set."""
    return str(cfg.section("web").get("base_url") or "").rstrip("/")


def _mail_problems(cfg: Config, env: dict[str, str]) -> list[str]:
    """`[mail]`: only checked once a host is set (without one, nothing is sent by e-mail)."""
    mail = cfg.section("mail")
    if not mail.get("host"):
        return []
    found = []
    if mail.get("security", "starttls") not in ("starttls", "tls", "none"):
        found.append(f"[mail] security must be starttls, tls or none (it is {mail.get('security')!r}).")
    if "@" not in str(mail.get("from_address", "")):
        found.append("[mail] from_address must be the address the digest is sent from, like samskap@skole.no.")
    if mail.get("username") and not secret("SAMSKAP_SMTP_PASSWORD", env):
        found.append("[mail] username is set but SAMSKAP_SMTP_PASSWORD (or SAMSKAP_SMTP_PASSWORD_FILE) is not.")
    if not public_url(cfg):
        found.append("[mail] needs [web] base_url (or SAMSKAP_PUBLIC_URL): e-mails link there to confirm and leave.")
    for key in ("port", "timeout", "rate_per_second"):
        value = mail.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            found.append(f"[mail] {key} must be a positive number (it is {value!r}).")
    return found


def _public_url_problems(cfg: Config) -> list[str]:
    url = public_url(cfg)
    if not url:
        return []
    from yarl import URL

    try:
        parsed = URL(url)
    except ValueError:
        parsed = None
    local = parsed is not None and parsed.host in ("localhost", "127.0.0.1", "::1")
    if parsed is None or not parsed.host or not (parsed.scheme == "https" or (parsed.scheme == "http" and local)):
        return [f"[web] base_url must be an https:// address people can reach (it is {url!r})."]
    return []


def _reason(error: Exception) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    return getattr(error, "strerror", None) or str(error)


def check_config(cfg: Config, env: dict[str, str] | None = None) -> list[str]:
    """Problems in plain words, one line each; an empty list means the configuration is usable.

    The database itself is checked by `storage.check.database_problem` (it needs a connection)."""
    env = dict(os.environ) if env is None else env
    problems = file_problems(cfg)
    if problems:  # values of the wrong type would trip the checks below
        return problems
    problems += _section_problems(cfg)
    problems += _public_url_problems(cfg)
    problems += _mail_problems(cfg, env)
    if not normalise_language(cfg.language):
        problems.append(
            f"Language {cfg.language!r} is not supported; use 'nb' (bokmål), 'nn' (nynorsk) or 'en' (English)."
        )
    if find_zone(cfg.timezone) is None:
        problems.append(f"Time zone {cfg.timezone!r} is unknown; use a name like 'Europe/Oslo'.")
    if cfg.log_level.upper() not in LOG_LEVELS:
        problems.append(f"Log level {cfg.log_level!r} is unknown; use one of {', '.join(LOG_LEVELS)}.")
    if cfg.log_format not in ("text", "json"):
        problems.append(f"Log format {cfg.log_format!r} is unknown; use text or json.")
    if not 1 <= cfg.follow_up_days <= 365:
        problems.append("follow_up_days must be a whole number of days between 1 and 365.")
    url = cfg.database_url
    if not (url.startswith("sqlite") or url.startswith("postgres")):
        problems.append("database_url must start with sqlite:/// or postgresql://.")
    if cfg.adapter not in ("console", "slack", "discord", "teams"):
        problems.append(f"Adapter {cfg.adapter!r} is unknown; use console, slack, discord or teams.")
    unreadable = unreadable_secret_files(env)
    problems += unreadable
    if unreadable:
        return problems
    # What the chosen platform needs is its adapter's to say (`adapters.cli.adapter_problems`).
    if key_problem := secret_key_problem(secret("SAMSKAP_SECRET_KEY", env).get()):
        problems.append(key_problem)
    return problems


def file_problems(cfg: Config) -> list[str]:
    """What reading the file and the environment found, and values of the wrong type."""
    return [*cfg.problems, *_type_problems(cfg)]


def _type_problems(cfg: Config) -> list[str]:
    found = []
    for key, kind in _TOP_LEVEL.items():
        value = getattr(cfg, key)
        wrong = isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind)
        if wrong:
            expected = {str: "text in quotes", int: "a whole number", float: "a number"}[kind]
            found.append(f"{key} must be {expected} (it is {value!r}).")
    return found


def _section_problems(cfg: Config) -> list[str]:
    found = []
    for name, values in cfg.sections.items():
        known = KNOWN_SECTIONS.get(name)
        if known is None:
            found.append(f"Unknown section [{name}] in {cfg.source}; known: {', '.join(sorted(KNOWN_SECTIONS))}.")
            continue
        found += [f"Unknown setting {key!r} in [{name}] of {cfg.source}." for key in values if key not in known]
    return found


def secret_key_problem(keys: str) -> str | None:
    """SAMSKAP_SECRET_KEY: empty, or Fernet keys separated by commas."""
    if not keys:
        return None
    from storage.secrets import TokenCipher

    try:
        TokenCipher.from_keys(keys)
    except ValueError:
        return (
            "SAMSKAP_SECRET_KEY must be one or more Fernet keys separated by commas; make one with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'."
        )
    return None
