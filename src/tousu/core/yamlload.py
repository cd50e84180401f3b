"""Safe YAML read with libyaml, PyYAML's C parser (about 8× the pure-Python one on a
plan file), when the installed PyYAML has it; the same documents and errors either way."""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_safe_load(text: str, *, aliases: bool = True) -> Any:
    """``yaml.safe_load`` through libyaml. ``aliases=False`` refuses a document with an
    alias (``*name``: the "billion laughs") before building anything, raising a
    ``ConstructorError`` at the alias."""
    if not aliases:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                at = event.start_mark  # libyaml's own mark class: copied into PyYAML's
                mark = None
                if at is not None:
                    mark = yaml.error.Mark(at.name, at.index, at.line, at.column, None, 0)
                raise yaml.constructor.ConstructorError(
                    None, None, "aliases (*name) are not allowed in this file", mark
                )
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
