"""Declared configuration: every setting is declared once here, with type, default and help.

Values come, in order of precedence, from explicit overrides (``create_app(config=...)``),
``PLINTH_<NAME>`` environment variables, a TOML config file (``PLINTH_CONFIG_FILE`` or
``<instance>/plinth.toml``), and finally the declared default.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plinth.errors import ConfigError

ENV_PREFIX = "PLINTH_"


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean, got {raw!r}")


def _parse_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected an integer, got {raw!r}")
    return int(raw)


def _parse_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"expected a number, got {raw!r}")
    return float(raw)


def _parse_str(raw: Any) -> str:
    return str(raw)


@dataclass(frozen=True)
class Setting:
    """One configuration setting: its name (without prefix), parser, default and help."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "INSTANCE_DIR", _parse_str, "instance", "Folder for the SQLite file, secret key and files."
    ),
    Setting(
        "DATABASE_URL",
        _parse_str,
        None,
        "SQLAlchemy URL of the database (default: SQLite file <instance>/plinth.db).",
        secret=True,
    ),
    Setting(
        "DATABASE_SCHEMA",
        _parse_str,
        None,
        "PostgreSQL schema that holds this tenant's tables (default: the server's search_path).",
    ),
    Setting(
        "REDIS_URL", _parse_str, None, "Redis URL for background jobs; unset runs jobs in-process."
    ),
    Setting(
        "SECRET_KEY",
        _parse_str,
        None,
        "Key signing sessions and links (default: generated once into <instance>/secret_key).",
        secret=True,
    ),
    Setting("STORAGE_DIR", _parse_str, None, "Folder for attachments (default: <instance>/files)."),
    Setting(
        "DEFAULT_TIME_ZONE", _parse_str, "UTC", "Time zone for autonumber dates and naive input."
    ),
    Setting("LOG_LEVEL", _parse_str, "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
    Setting("MAX_UPLOAD_MB", _parse_int, 25, "Largest accepted upload or request body, in MiB."),
    Setting(
        "PUBLIC_URL",
        _parse_str,
        "http://127.0.0.1:5000",
        "Address users reach this instance at, for links in e-mails (e.g. evaluation links).",
    ),
    Setting(
        "MAP_TILES_URL",
        _parse_str,
        "",
        "Map tile URL template for the pages' map pickers, e.g. a LAN tile server's "
        "https://tiles.example/{z}/{x}/{y}.png (empty: no tiles, coordinates still work).",
    ),
    Setting(
        "SESSION_IDLE_MINUTES",
        _parse_int,
        480,
        "A browser session unused this long ends (the user logs in again).",
    ),
    Setting(
        "SESSION_MAX_HOURS",
        _parse_int,
        168,
        "A browser session ends this long after its login, however active it is.",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        _parse_bool,
        None,
        "Send the session cookie over HTTPS only (default: on when PUBLIC_URL is https).",
    ),
    Setting(
        "TRUSTED_PROXIES",
        _parse_int,
        0,
        "How many reverse proxies in front of Plinth set X-Forwarded-For/-Proto/-Host; "
        "0 ignores those headers (the client address is the connection's).",
    ),
    Setting(
        "STEP_TIME_MAX_AGE_HOURS",
        _parse_int,
        72,
        "How long ago a workflow step sent with its own time (occurred_at: a phone that did "
        "it offline) may have happened; older times are refused.",
    ),
    Setting(
        "STEP_TIME_SKEW_SECONDS",
        _parse_int,
        300,
        "How far a step's occurred_at may be past the server's time or before the record's "
        "last step (a device clock's error); within it the time is moved to the bound.",
    ),
    Setting("TESTING", _parse_bool, False, "Test mode (used by the test suite)."),
    Setting(
        "DEMO_SCALE",
        _parse_float,
        0.5,
        "Size of generated demo data relative to the full demo city: 0.5 (the default) is "
        "quick to make, 1 the full city; tests use a small fraction.",
    ),
    Setting(
        "JOB_QUEUE",
        _parse_str,
        "plinth",
        "Name of the rq queue (one per instance sharing a Redis).",
    ),
    Setting(
        "JOB_LEASE_SECONDS",
        _parse_int,
        300,
        "How long a running job may go unheard of "
        "before it is considered lost (its worker died) and run again.",
    ),
    Setting(
        "SCHEDULER_TICK_SECONDS",
        _parse_int,
        10,
        "How often `plinth scheduler` looks for due cron automations, retries and lost jobs.",
    ),
    Setting(
        "SMTP_HOST",
        _parse_str,
        None,
        "SMTP server for e-mail notifications; unset disables e-mail.",
    ),
    Setting("SMTP_PORT", _parse_int, 587, "SMTP port."),
    Setting("SMTP_USERNAME", _parse_str, None, "SMTP user name (optional)."),
    Setting("SMTP_PASSWORD", _parse_str, None, "SMTP password (optional).", secret=True),
    Setting("SMTP_FROM", _parse_str, "plinth@localhost", "Sender address of e-mails."),
    Setting("SMTP_STARTTLS", _parse_bool, True, "Use STARTTLS with the SMTP server."),
    Setting("WEBHOOK_TIMEOUT_SECONDS", _parse_int, 10, "Timeout of one webhook delivery."),
    Setting(
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS",
        _parse_bool,
        False,
        "Allow webhooks to "
        "loopback, private and link-local addresses (off: no requests into your LAN).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


class Config(Mapping[str, Any]):
    """Resolved settings, with where each value came from."""

    def __init__(self, values: dict[str, Any], sources: dict[str, str]):
        self._values = values
        self._sources = sources

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def source(self, key: str) -> str:
        """Where the value of ``key`` came from: override, environment, file or default."""
        return self._sources[key]

    @property
    def instance_dir(self) -> Path:
        return Path(self._values["INSTANCE_DIR"])

    def describe(self) -> list[dict[str, Any]]:
        """Each setting with its value (secrets masked), source and help, for ``plinth config``."""
        rows = []
        for setting in SETTINGS:
            value = self._values[setting.name]
            if setting.secret and value:
                value = _mask(str(value))
            rows.append(
                {
                    "name": ENV_PREFIX + setting.name,
                    "value": value,
                    "source": self._sources[setting.name],
                    "help": setting.help,
                }
            )
        return rows


def _mask(value: str) -> str:
    if "://" in value and "@" in value:
        scheme, rest = value.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else value
    if "://" in value:
        return value
    return "***"


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Resolve every declared setting; raise ConfigError naming a bad or unknown setting."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    unknown = sorted(k for k in overrides if k not in _BY_NAME)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")

    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        raw[setting.name] = setting.default
        sources[setting.name] = "default"

    instance_dir = overrides.get("INSTANCE_DIR") or environ.get(ENV_PREFIX + "INSTANCE_DIR")
    instance_dir = instance_dir or raw["INSTANCE_DIR"]
    file_path = config_file_path(instance_dir, environ)
    for key, value in _read_config_file(Path(file_path)).items():
        raw[key] = value
        sources[key] = f"file {file_path}"
    for setting in SETTINGS:
        env_value = environ.get(ENV_PREFIX + setting.name)
        if env_value is not None and env_value != "":
            raw[setting.name] = env_value
            sources[setting.name] = "environment"
    for key, value in overrides.items():
        raw[key] = value
        sources[key] = "override"

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        value = raw[setting.name]
        if value is None:
            values[setting.name] = None
            continue
        try:
            values[setting.name] = setting.parse(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{ENV_PREFIX}{setting.name}: {exc}") from None
    _fill_derived_defaults(values, sources)
    return Config(values, sources)


def config_file_path(instance_dir: str | Path, environ: Mapping[str, str] | None = None) -> Path:
    """The TOML config file: ``PLINTH_CONFIG_FILE``, else ``<instance>/plinth.toml``."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(ENV_PREFIX + "CONFIG_FILE") or Path(instance_dir) / "plinth.toml")


def add_to_config_file(path: Path, name: str, value: str) -> None:
    """Add the setting ``name`` (as in ``PLINTH_<NAME>``) with a text value to a TOML config
    file, made when missing (``plinth demo`` sets the demo's time zone this way)."""
    if name not in _BY_NAME:
        raise ConfigError(f"unknown setting {name!r}")
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{text}{name.lower()} = {json.dumps(value)}\n", encoding="utf-8")


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    result = {}
    for key, value in data.items():
        name = key.upper().removeprefix(ENV_PREFIX)
        if name not in _BY_NAME:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        result[name] = value
    return result


def _fill_derived_defaults(values: dict[str, Any], sources: dict[str, str]) -> None:
    instance = Path(values["INSTANCE_DIR"]).resolve()
    values["INSTANCE_DIR"] = str(instance)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance / 'plinth.db'}"
        sources["DATABASE_URL"] = "default"
    if not values["STORAGE_DIR"]:
        values["STORAGE_DIR"] = str(instance / "files")
    for name, minimum in (
        ("MAX_UPLOAD_MB", 1),
        ("SESSION_IDLE_MINUTES", 1),
        ("SESSION_MAX_HOURS", 1),
        ("TRUSTED_PROXIES", 0),
    ):
        if values[name] < minimum:
            raise ConfigError(f"{ENV_PREFIX}{name} must be at least {minimum}")
    if values["SESSION_COOKIE_SECURE"] is None:
        values["SESSION_COOKIE_SECURE"] = values["PUBLIC_URL"].lower().startswith("https://")


def ensure_secret_key(config: Config) -> str:
    """Return the configured secret key, or one generated once and kept in the instance folder."""
    configured: str | None = config["SECRET_KEY"]
    if configured:
        return configured
    path = config.instance_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
