"""Form widgets that render in Python what Django renders through templates.

Django's ``Select`` renders each option through two template includes (the option and
its attributes); a filter bar with a few hundred options (departments, assignees,
stages) spends more time there than the list it filters. ``PlainSelect`` writes the
same markup with ``format_html``: names and values escaped, boolean attributes as the
templates write them (bare when true, left out when false).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """As ``django/forms/widgets/attrs.html``: in order, false left out, true bare; each
    name and value escaped."""
    return SafeString(
        "".join(
            f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


class PlainSelect(forms.Select):
    """``forms.Select``, same markup, no template per option."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    str(option["value"]),
                    _attrs(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return SafeString("\n".join(parts))  # every part escaped by format_html
