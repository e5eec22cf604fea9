"""Reading one typed settings object from environment variables (STYLE habit 6), shared by every process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ConfigError

__all__ = ["env_values", "validated"]

M = TypeVar("M", bound=BaseModel)


def env_values(names: Mapping[str, str], env: Mapping[str, str]) -> dict[str, object]:
    """Field → raw value for every variable of ``names`` (field → variable) set to a non-empty value."""
    return {field: env[var] for field, var in names.items() if env.get(var, "") != ""}


def validated(model: type[M], values: Mapping[str, object], names: Mapping[str, str]) -> M:
    """Validate ``values`` into ``model``; a bad value raises ConfigError naming its variable."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as e:
        first = e.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        raise ConfigError(f"invalid {names.get(field, field)}: {first['msg']}") from e
