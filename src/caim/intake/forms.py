"""The public forms: report an incident, suggest a correction (SPEC §6.1).

Both carry two traps for robots, checked by `is_robot` before anything else: a field people never see (the
honeypot) and the signed time the form was shown (a person takes longer than CAIM_SUBMIT_MIN_SECONDS).
"""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from caim.records.changes import clean_text

MAX_URLS = 10
MAX_URL_LENGTH = 2000
MAX_TEXT = 5000
MAX_LINE = 200
SIGNING_SALT = "caim.intake.form-shown"
HONEYPOT = "website"

_url = URLValidator(schemes=["http", "https"])


def shown_at() -> str:
    """The signed time a form is shown at, for its hidden field."""
    return signing.dumps(time.time(), salt=SIGNING_SALT)


class PublicForm(forms.Form):
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    website = forms.CharField(required=False, label=_("Leave this field empty"))  # the honeypot
    email = forms.EmailField(
        required=False,
        max_length=254,
        label=_("Your email (optional)"),
        help_text=_(
            "Only to tell you what became of your report; never published, visible to the editors only."
        ),
    )
    consent = forms.BooleanField(
        required=True,
        label=_("I agree that the editors process what I send as the privacy page describes."),
        error_messages={"required": _("Please give your consent, or we cannot take your report.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["started"] = shown_at()

    def is_robot(self) -> bool:
        """Filled the field people never see, or sent the form too soon after it was shown (or with no valid
        time at all)."""
        if (self.data.get(HONEYPOT) or "").strip():
            return True
        try:
            started = float(signing.loads(self.data.get("started") or "", salt=SIGNING_SALT))
        except (signing.BadSignature, TypeError, ValueError):
            return True
        return time.time() - started < settings.CAIM_SUBMIT_MIN_SECONDS

    def clean_urls(self):
        lines = [line.strip() for line in (self.cleaned_data.get("urls") or "").splitlines() if line.strip()]
        if len(lines) > MAX_URLS:
            raise ValidationError(_("Give at most %(n)s links.") % {"n": MAX_URLS})
        for line in lines:
            if len(line) > MAX_URL_LENGTH:
                raise ValidationError(
                    _("A link is too long (at most %(n)s characters).") % {"n": MAX_URL_LENGTH}
                )
            try:
                _url(line)
            except ValidationError:
                raise ValidationError(
                    _("“%(url)s” is not a web address: each line must start with http:// or https://.")
                    % {"url": line[:100]}
                ) from None
        return list(dict.fromkeys(lines))

    def text(self, name: str, *, single_line: bool = False) -> str:
        return clean_text(self.cleaned_data.get(name) or "", single_line=single_line)


def _textarea(rows: int, max_length: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "maxlength": max_length})


class SubmissionForm(PublicForm):
    urls = forms.CharField(
        required=False,
        max_length=MAX_URLS * (MAX_URL_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Links to reports of it"),
        help_text=_("One web address per line (http:// or https://)."),
    )
    what = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=_textarea(6, MAX_TEXT), label=_("What happened")
    )
    when = forms.CharField(required=False, max_length=MAX_LINE, label=_("When"))
    where = forms.CharField(required=False, max_length=MAX_LINE, label=_("Where"))
    field_order = ["urls", "what", "when", "where", "email", "consent", "website", "started"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("urls") and not self.text("what"):
            raise ValidationError(_("Give at least one link, or describe what happened."))
        return cleaned


class CorrectionForm(PublicForm):
    what = forms.CharField(
        required=True,
        max_length=MAX_TEXT,
        widget=_textarea(6, MAX_TEXT),
        label=_("What is wrong, and what should the record say?"),
        error_messages={"required": _("Tell us what is wrong.")},
    )
    urls = forms.CharField(
        required=False,
        max_length=MAX_URLS * (MAX_URL_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Links that support the correction (optional)"),
        help_text=_("One web address per line (http:// or https://)."),
    )
    field_order = ["what", "urls", "email", "consent", "website", "started"]
