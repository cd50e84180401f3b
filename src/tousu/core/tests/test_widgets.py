"""PlainSelect writes what Django's Select template writes."""

from __future__ import annotations

import re

import pytest
from django import forms

from tousu.core.widgets import PlainSelect, plain

pytestmark = pytest.mark.django_db

CHOICES = [
    ("", "—"),
    ("a&b", "甲 <乙>"),
    ("2", "丙"),
    ("组", [("g1", "组一"), ("g2", '组"二"')]),
]


def _tight(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", ["", "a&b", "g2", "missing", None])
def test_a_plain_select_renders_as_djangos_select(value):
    attrs = {"class": "form-select", "required": True, "disabled": False, "data-x": '"q"'}
    expected = forms.Select(attrs=attrs, choices=CHOICES).render("status", value)
    got = PlainSelect(attrs=attrs, choices=CHOICES).render("status", value)
    assert _tight(got) == _tight(expected)
    assert "<乙>" not in got and "&lt;乙&gt;" in got


class _Every(forms.Form):
    text = forms.CharField(label="名称", max_length=20, widget=forms.TextInput({"class": "a&b"}))
    day = forms.DateField(label="日期?", required=False, widget=forms.DateInput({"type": "date"}))
    flag = forms.BooleanField(label="标记", required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label="类", choices=CHOICES, required=False)
    required_css_class = "req"


def _rendered(form: forms.Form) -> list[str]:
    return [
        _tight(str(part))
        for bound in form
        for part in (
            bound,
            bound.label_tag(),
            bound.label_tag(attrs={"class": "x"}),
            bound.widget_type,  # templates branch on it ("checkbox")
        )
    ]


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": '"引号"<b>', "day": "2026-03-02", "flag": "on", "hidden": "7", "kind": "g2"},
        {"text": "", "day": "not a date", "kind": "missing"},
    ],
)
def test_a_plain_form_renders_what_djangos_templates_render(data):
    expected = _rendered(_Every(data))
    form = _Every(data)
    plain(form)
    assert type(form["text"]).__name__ == "PlainBoundField"
    assert {type(f.widget).__name__ for f in form.fields.values()} == {
        "PlainTextInput",
        "PlainDateInput",
        "PlainCheckboxInput",
        "PlainHiddenInput",
        "PlainSelect",
    }
    assert _rendered(form) == expected


def test_the_filter_form_renders_its_selects_plainly():
    from tousu.complaints.forms import ComplaintFilterForm

    form = ComplaintFilterForm({"status": "closed", "sort": "due"})
    selects = [f for f in form.visible_fields() if isinstance(f.field.widget, forms.Select)]
    assert selects and all(isinstance(f.field.widget, PlainSelect) for f in selects)
    assert '<option value="due" selected>' in str(form["sort"])
