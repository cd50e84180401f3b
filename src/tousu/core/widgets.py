"""Form widgets and labels that render in Python what Django renders through templates.

Django renders each widget, each of a select's options and each label through a
template and its includes (attributes are one more); the list's filter bar, rendered on
every list page, spent a quarter of the page's time there. These write the same markup
with ``format_html``: names and values escaped, boolean attributes as the templates
write them (bare when true, left out when false). ``plain(form)`` puts a form's inputs,
selects and labels on them.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


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


class _PlainInput:
    """``django/forms/widgets/input.html`` for an ``Input`` widget."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = widget["value"]
        given = format_html(' value="{}"', str(shown)) if shown is not None else ""
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            given,
            _attrs(widget["attrs"]),
        )


class PlainTextInput(_PlainInput, forms.TextInput):
    pass


class PlainDateInput(_PlainInput, forms.DateInput):
    pass


class PlainCheckboxInput(_PlainInput, forms.CheckboxInput):
    pass


class PlainHiddenInput(_PlainInput, forms.HiddenInput):
    pass


_PLAIN: dict[type, type] = {
    forms.TextInput: PlainTextInput,
    forms.DateInput: PlainDateInput,
    forms.CheckboxInput: PlainCheckboxInput,
    forms.HiddenInput: PlainHiddenInput,
    forms.Select: PlainSelect,
}


class PlainBoundField(BoundField):
    """``BoundField`` whose ``label_tag`` writes ``django/forms/label.html`` itself, and
    whose ``widget_type`` is the Django widget's ("checkbox", not "plaincheckbox")."""

    @cached_property
    def widget_type(self) -> str:
        kind = type(self.field.widget)
        django_kind = _DJANGO.get(kind, kind)
        return re.sub(r"widget$|input$", "", django_kind.__name__.lower())

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None) -> SafeString:
        contents = contents or self.label
        if label_suffix is None:
            label_suffix = (
                self.field.label_suffix
                if self.field.label_suffix is not None
                else self.form.label_suffix
            )
        if label_suffix and contents and contents[-1] not in _(":?.!"):
            contents = format_html("{}{}", contents, label_suffix)
        widget = self.field.widget
        id_ = widget.attrs.get("id") or self.auto_id
        if not id_:
            return format_html("{}", contents)
        for_label = widget.id_for_label(id_)
        if for_label:
            attrs = {**(attrs or {}), "for": for_label}
        if self.field.required and hasattr(self.form, "required_css_class"):
            attrs = attrs or {}
            classes = attrs.get("class")
            attrs["class"] = (
                f"{classes} {self.form.required_css_class}"
                if classes
                else self.form.required_css_class
            )
        tag = tag or "label"
        return format_html("<{}{}>{}</{}>", tag, _attrs(attrs or {}), contents, tag)


_DJANGO = {plain: django for django, plain in _PLAIN.items()}


def plain(form: forms.BaseForm) -> None:
    """Render ``form``'s inputs, selects and labels in Python (its own copies of its
    fields: call it in ``__init__``). Widgets of other kinds keep their templates."""
    form.bound_field_class = PlainBoundField
    for field in form.fields.values():
        kind = _PLAIN.get(type(field.widget))
        if kind is not None:
            field.widget.__class__ = kind  # a subclass writing the same markup
