"""The mapping file of an import (YAML): which column of the file holds which field of a
complaint, which values mean a closed case, and the defaults. Documented with an
example in ``docs/import.md``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tousu.core.yamlload import yaml_safe_load

FieldName = Literal[
    "source_id",
    "title",
    "description",
    "category",
    "received_at",
    "complainant_name",
    "complainant_phone",
    "complainant_email",
    "complainant_address",
    "complainant_id_number",
    "channel",
    "severity",
    "nature",
    "department",
    "occurred_at",
    "occurred_place",
    "persons_involved",
    "merchant",
    "product",
    "amount_involved",
    "reply",
    "result",
]
# The mapping must name a column for each of these (and for the title or description).
REQUIRED = ("source_id", "category", "received_at", "complainant_name")
DATES = ("received_at", "occurred_at")
# Fields whose cell values the mapping may translate to the plan's keys (``values``).
TRANSLATED = Literal["channel", "severity", "nature", "category", "department"]


class MappingError(ValueError):
    """The mapping file cannot be used; the message says why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Closed(_Strict):
    """A row is a closed case when ``column`` holds one of ``values`` (compared without
    surrounding spaces, ignoring letter case)."""

    column: str = Field(min_length=1)
    values: list[str] = Field(min_length=1)


class Mapping(_Strict):
    source: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=64)
    sheet: str | None = None
    encoding: str | None = None
    columns: dict[FieldName, str]
    closed: Closed | None = None
    defaults: dict[Literal["channel", "severity", "nature", "department"], str] = {}
    values: dict[TRANSLATED, dict[str, str]] = {}
    date_formats: list[str] = []

    @model_validator(mode="after")
    def _required(self) -> Mapping:
        named = {str(name) for name, column in self.columns.items() if column}
        missing = [name for name in REQUIRED if name not in named]
        if not named & {"title", "description"}:
            missing.append("title | description")
        if missing:
            raise ValueError("columns: name a column for " + ", ".join(missing))
        return self

    def closed_values(self) -> frozenset[str]:
        """The values that mark a closed case, as compared (stripped, case folded)."""
        if self.closed is None:
            return frozenset()
        return frozenset(v.strip().casefold() for v in self.closed.values)

    def needed_columns(self) -> dict[str, str]:
        """Every column the file must have, with the field it holds."""
        needed = {column: str(name) for name, column in self.columns.items()}
        if self.closed is not None:
            needed.setdefault(self.closed.column, "closed")
        return needed


def mapping_load(path: Path) -> Mapping:
    """Read and check a mapping file; ``MappingError`` says what is wrong with it."""
    try:
        data = yaml_safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MappingError(
            _("Cannot read the mapping file %(path)s: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(
            _("The mapping file %(path)s is not valid YAML: %(error)s")
            % {"path": path, "error": exc}
        ) from exc
    if not isinstance(data, dict):
        raise MappingError(
            _("The mapping file %(path)s must hold a mapping (source, columns …).") % {"path": path}
        )
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '—'}: {error['msg']}"
            for error in exc.errors()
        )
        raise MappingError(
            _("The mapping file %(path)s is not valid: %(problems)s")
            % {"path": path, "problems": problems}
        ) from exc
