"""Load the settings for the shell: the settings file, then the environment over it.

Order of precedence (highest first): ``VAHTI_<SECTION>__<KEY>`` environment variables, then the
settings file (``--settings PATH``, else ``VAHTI_SETTINGS``, else ``./settings.toml`` when it
exists), then the defaults in config.schema. Secrets (``web.secret_key``, ``web.admin_password``,
``mail.password``) are read only from the environment: a settings file that names them is
refused. Only the shell (vahti/) loads settings; everything else is handed the sections it needs,
child processes included (scrapers.handoff).
"""

from __future__ import annotations

import json
import os
import tomllib
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from config.schema import Settings, sections

ENV_PREFIX = "VAHTI_"
SETTINGS_ENV = "VAHTI_SETTINGS"
DEFAULT_FILE = Path("settings.toml")
# Environment variables with our prefix that are not settings keys.
NON_SETTING_ENV = ("VAHTI_SETTINGS", "VAHTI_TEST_")


class SettingsError(Exception):
    """A settings problem, worded for the person who has to fix it (one line)."""


class _FromSources(BaseSettings, Settings):
    """Settings read from the environment (and from a file, in a subclass naming it)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


def _must_be_a_file(path: Path, named_by: str) -> Path:
    if path.is_dir():
        raise SettingsError(f"settings file {path}{named_by} is a folder, not a file")
    if not path.is_file():
        raise SettingsError(f"settings file {path}{named_by} does not exist")
    return path


def _pick_file(path: Path | None) -> Path | None:
    if path is not None:
        return _must_be_a_file(path, "")
    env_path = os.environ.get(SETTINGS_ENV)
    if env_path:
        return _must_be_a_file(Path(env_path), f" (from {SETTINGS_ENV})")
    return DEFAULT_FILE if DEFAULT_FILE.is_file() else None


def _read_text(path: Path) -> str:
    """The file as UTF-8 text, or one line saying why it is not."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise SettingsError(
            f"{path}: starts with a byte-order mark (BOM); save it as UTF-8 without a BOM"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SettingsError(f"{path}: is UTF-16 (or UTF-32) text; save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SettingsError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {column}); save it as UTF-8"
        ) from None


def _check_file(path: Path) -> None:
    """Refuse unknown sections and secrets before pydantic sees the file."""
    try:
        data = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    known = sections()
    for name, value in data.items():
        if name not in known:
            raise SettingsError(
                f"{path}: unknown section [{name}]; allowed sections: {', '.join(known)}"
            )
        if not isinstance(value, dict):
            raise SettingsError(f"{path}: {name} must be a [{name}] table")
        for secret in known[name].secret_keys:
            if secret in value:
                env = f"{ENV_PREFIX}{name.upper()}__{secret.upper()}"
                raise SettingsError(
                    f"{path}: {name}.{secret} is a secret and is read only from the environment "
                    f"({env}); remove it from the file"
                )


def _check_environment() -> None:
    known = sections()
    for name in os.environ:
        if not name.startswith(ENV_PREFIX) or name.startswith(NON_SETTING_ENV):
            continue
        rest = name[len(ENV_PREFIX) :]
        section, _, key = rest.partition("__")
        if section.lower() not in known or not key:
            raise SettingsError(
                f"environment variable {name} names no setting; the form is "
                f"{ENV_PREFIX}<SECTION>__<KEY> with a section among: {', '.join(known)}"
            )
        field = known[section.lower()].model_fields.get(key.lower())
        if field is not None:
            _check_json(name, f"{section.lower()}.{key.lower()}", field)


def _json_shape(field: FieldInfo) -> str | None:
    """'list' or 'object' when the setting is read from the environment as JSON, else None."""
    annotation = field.annotation
    origin = typing.get_origin(annotation) or annotation
    if origin in (list, tuple, set, frozenset):
        return "list"
    if origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel)):
        return "object"
    return None


def _check_json(name: str, dotted: str, field: FieldInfo) -> None:
    """A list or table setting in the environment is JSON; say so when it is not."""
    shape = _json_shape(field)
    value = os.environ[name]
    if shape is None or not value:
        return
    try:
        json.loads(value)
    except ValueError as exc:
        default = field.get_default(call_default_factory=True)
        example = json.dumps(default) if default else '["a", "b"]'
        if shape == "object":
            example = '{"key": "value"}'
        why = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else exc
        raise SettingsError(
            f"environment variable {name}: bad value for {dotted} ({value!r}): not JSON "
            f"({why}); write a JSON {shape}, e.g. {name}='{example}'"
        ) from None


def _allowed(section: str, key: str) -> str:
    model = sections().get(section)
    if model is None or key not in model.model_fields:
        keys = ", ".join(model.model_fields) if model else ", ".join(sections())
        return f"allowed keys: {keys}"
    field = model.model_fields[key]
    annotation = field.annotation
    args = getattr(annotation, "__args__", None)
    if args and all(isinstance(a, str) for a in args):
        return "allowed: " + ", ".join(args)
    if _json_shape(field) == "list" and args:
        inner = getattr(args[0], "__args__", None)
        if inner and all(isinstance(a, str) for a in inner):
            return "allowed: a JSON list of " + ", ".join(inner)
        return f"allowed: a JSON list of {getattr(args[0], '__name__', args[0])}"
    parts = [getattr(annotation, "__name__", str(annotation))]
    for meta in field.metadata:
        for attr, word in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(meta, attr, None)
            if bound is not None:
                parts.append(f"{word} {bound}")
    return "allowed: " + " ".join(parts)


def _explain(error: ValidationError, path: Path | None) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    section = loc[0] if loc else "?"
    key = loc[1] if len(loc) > 1 else ""
    dotted = f"{section}.{key}" if key else section
    env_name = f"{ENV_PREFIX}{section.upper()}__{key.upper()}"
    where = (
        f"environment variable {env_name}" if env_name in os.environ else str(path or "defaults")
    )
    if first["type"] == "extra_forbidden":
        return f"{where}: unknown setting {dotted}; {_allowed(section, '')}"
    message = first["msg"].removeprefix("Value error, ")
    given = first.get("input")
    return f"{where}: bad value for {dotted} ({given!r}): {message}; {_allowed(section, key)}"


def load_settings(path: Path | None = None) -> Settings:
    """Load and validate the settings; raise SettingsError with one clear line on a problem."""
    chosen = _pick_file(path)
    if chosen is not None:
        _check_file(chosen)
    _check_environment()
    cls: type[_FromSources] = _FromSources
    if chosen is not None:

        class FileSettings(_FromSources):
            model_config = SettingsConfigDict(**{**_FromSources.model_config, "toml_file": chosen})

        cls = FileSettings
    try:
        loaded = cls()
    except ValidationError as exc:
        raise SettingsError(_explain(exc, chosen)) from None
    except SourceError as exc:  # a value a settings source could not decode at all
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise SettingsError(f"{exc}{cause}") from None
    # A plain Settings: whoever gets it can read it, never re-read the environment with it.
    return Settings.model_validate(dict(loaded))
