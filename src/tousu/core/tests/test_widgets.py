"""PlainSelect writes what Django's Select template writes."""

from __future__ import annotations

import re

import pytest
from django import forms

from tousu.core.widgets import PlainSelect

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


def test_the_filter_form_renders_its_selects_plainly():
    from tousu.complaints.forms import ComplaintFilterForm

    form = ComplaintFilterForm({"status": "closed", "sort": "due"})
    selects = [f for f in form.visible_fields() if isinstance(f.field.widget, forms.Select)]
    assert selects and all(isinstance(f.field.widget, PlainSelect) for f in selects)
    assert '<option value="due" selected>' in str(form["sort"])
