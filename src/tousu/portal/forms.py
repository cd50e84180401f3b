"""The portal's forms: the complaint form (with its anti-abuse fields), the tracking
form and the complainant's action forms. They turn posted text into values; the
services decide, and their field errors come back beside these fields."""

from __future__ import annotations

import secrets

from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tousu.complaints.forms import DateTimeLocalInput, MultipleFileField, MultipleFileInput
from tousu.complaints.public import satisfaction_label
from tousu.core.inputs import validate_date_range, validate_storable
from tousu.core.problems import InvalidInput, ServiceError
from tousu.plans.choices import ActionType
from tousu.plans.engine import AvailableAction
from tousu.plans.schema import Category, Plan
from tousu.portal.proof_of_work import FIELD as ALTCHA_FIELD
from tousu.portal.uploads import ACCEPT

HONEYPOT = "website"


class PortalCaptchaInput(CaptchaTextInput):
    """django-simple-captcha's image and answer, served from the portal's own URL (the
    fallback check when the browser runs no script)."""

    template_name = "portal/_captcha.html"

    def fetch_captcha_store(self, name, value, attrs=None, generator=None):
        if secrets.randbelow(64) == 0:  # now and then, forget the pictures nobody answered
            CaptchaStore.remove_expired()
        self._key = CaptchaStore.generate_key(generator)
        self._value = [self._key, ""]
        self.id_ = self.build_attrs(attrs).get("id", None)

    def image_url(self):
        return reverse("portal:captcha_image", kwargs={"key": self._key})

    def audio_url(self):
        return None


def _category_choices(nodes: list[Category], depth: int = 0) -> list[tuple[str, str]]:
    choices = []
    for node in nodes:
        choices.append((node.key, f"{'　' * depth}{node.label}"))
        choices += _category_choices(node.children, depth + 1)
    return choices


class FilingForm(forms.Form):
    """The public complaint form. Required fields are checked here so the person sees
    every message at once; the service checks the rest (lengths, phone, email)."""

    SERVICE_FIELDS = {
        "complainant.name": "name",
        "complainant.phone": "phone",
        "complainant.email": "email",
        "complainant.address": "phone",
        "channel": None,
    }

    category = forms.ChoiceField(label=_("What is it about"))
    title = forms.CharField(
        label=_("In one sentence, what happened"),
        max_length=120,
        validators=[validate_storable],
    )
    description = forms.CharField(
        label=_("What happened, step by step"),
        widget=forms.Textarea(attrs={"rows": 6}),
        validators=[validate_storable],
        help_text=_("When and where you bought or used it, what went wrong, whom you spoke to."),
    )
    demand = forms.CharField(
        label=_("What do you ask for"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        validators=[validate_storable],
        help_text=_("For example: a refund, a repair, an exchange, an apology."),
    )
    occurred_at = forms.DateTimeField(
        label=_("When did it happen"),
        widget=DateTimeLocalInput(),
        required=False,
        validators=[validate_date_range],
    )
    occurred_place = forms.CharField(label=_("Where did it happen"), max_length=200, required=False)
    merchant = forms.CharField(label=_("Shop or merchant"), max_length=200, required=False)
    product = forms.CharField(label=_("Product or service"), max_length=200, required=False)
    amount_involved = forms.DecimalField(
        label=_("Amount involved (yuan)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )
    attachments = MultipleFileField(
        label=_("Photos or PDF files"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )
    name = forms.CharField(label=_("Your name"), max_length=50, validators=[validate_storable])
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    privacy = forms.BooleanField(
        label=_("I have read the privacy notice and agree to my data being used as it says."),
        error_messages={"required": _("Please read and accept the privacy notice.")},
    )
    # The honeypot: hidden from people by the stylesheet (not type=hidden), so only a
    # script that fills every field fills it.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    captcha = CaptchaField(
        label=_("Type the answer shown in the picture"),
        required=False,
        widget=PortalCaptchaInput(),
        error_messages={"invalid": _("The answer is not right. Please try the new picture.")},
    )

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *_category_choices(plan.categories)]
        for name, bound in self.fields.items():
            if bound.required and name != "privacy":
                bound.widget.attrs["required"] = True
                bound.widget.attrs["aria-required"] = "true"

    @property
    def honeypot_filled(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())

    @property
    def altcha_payload(self) -> str:
        values = self.data.getlist(ALTCHA_FIELD) if hasattr(self.data, "getlist") else []
        return next((v for v in values if v.strip()), "")

    @property
    def captcha_answered(self) -> bool:
        return bool((self.data.get("captcha_1") or "").strip())

    def clean(self):
        cleaned = super().clean() or {}
        contact = (cleaned.get("phone") or "").strip() or (cleaned.get("email") or "").strip()
        if not contact and "phone" not in self.errors:
            self.add_error(
                "phone", _("Give a mobile number or an email address so we can reach you.")
            )
        return cleaned

    def add_service_errors(self, field_errors: dict[str, list[str]]) -> None:
        for path, messages in field_errors.items():
            name = self.SERVICE_FIELDS.get(path, path.split(".")[0])
            if name == "attachments" or path.startswith("attachments."):
                name = "attachments"
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    def contact_fields(self):
        return [self[name] for name in ("name", "phone", "email")]

    def main_fields(self):
        return [self[name] for name in ("category", "title", "description", "demand")]

    def detail_fields(self):
        names = ("occurred_at", "occurred_place", "merchant", "product", "amount_involved")
        return [self[name] for name in names]


class TrackForm(forms.Form):
    tracking_no = forms.CharField(
        label=_("Tracking number"),
        max_length=40,
        help_text=_("On your receipt, for example TS-20260101-000001."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    code = forms.CharField(
        label=_("Access code or one-time code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


TEXTAREA = forms.Textarea(attrs={"rows": 3})
RATING_REQUIRED = _("Choose how satisfied you are with the result.")


class ComplainantActionForm(forms.Form):
    """One action the complainant may take: its fields follow its type."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, action: AvailableAction, plan: Plan, **kwargs):
        kwargs.setdefault("prefix", action.key)
        super().__init__(*args, **kwargs)
        self.action = action
        kind = action.type
        if kind == ActionType.RECORD_SATISFACTION:
            self.fields["satisfaction"] = forms.ChoiceField(
                label=_("How satisfied are you with the result"),
                choices=[(s.value, satisfaction_label(s.value)) for s in plan.satisfaction.scale],
                widget=forms.RadioSelect,
                error_messages={"required": RATING_REQUIRED, "invalid_choice": RATING_REQUIRED},
            )
            self.fields["note"] = forms.CharField(
                label=pgettext_lazy("portal", "Comment"),
                widget=TEXTAREA,
                required=False,
                max_length=2000,
            )
        elif kind == ActionType.ADD_MATERIAL:
            self.fields["material"] = forms.CharField(
                label=_("What you want to add"), widget=TEXTAREA, required=False
            )
            self.fields["attachments"] = MultipleFileField(
                label=_("Photos or PDF files"),
                required=False,
                widget=MultipleFileInput(attrs={"accept": ACCEPT}),
            )
        elif kind in (ActionType.APPEAL, ActionType.WITHDRAW):
            self.fields["reason"] = forms.CharField(
                label=pgettext_lazy("portal", "Why"),
                widget=TEXTAREA,
                required=False,
                max_length=2000,
            )
        else:
            self.fields["note"] = forms.CharField(
                label=pgettext_lazy("portal", "Comment"),
                widget=TEXTAREA,
                required=False,
                max_length=2000,
            )

    @property
    def multipart(self) -> bool:
        return "attachments" in self.fields

    def data_for_service(self) -> dict[str, str]:
        return {
            name: str(value)
            for name, value in self.cleaned_data.items()
            if name not in ("version", "attachments") and value not in (None, "")
        }

    @property
    def main_field(self) -> str:
        return next(name for name in self.fields if name != "version")

    def add_refusal(self, exc: ServiceError) -> None:
        """The service's or engine's refusal beside the fields it names; a refusal of the
        action itself (not possible now, not allowed) beside the action's main field."""
        placed = False
        for path, messages in exc.field_errors.items():
            name = "attachments" if path.startswith("attachments") else path
            if name in self.fields:
                for message in messages:
                    self.add_error(name, message)
                placed = True
        if not placed or not isinstance(exc, InvalidInput):
            self.add_error(self.main_field, exc.detail)
