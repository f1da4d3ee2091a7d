"""The public side of intake: report an incident, suggest a correction, follow a submission's status.

A POST goes through, in order: the robot traps (dropped silently: the normal thank-you page, nothing stored),
the rate limits (429 with the form as it was sent), the form's checks (400 with the form and its messages), then
the action, which stores it once (the same submission again gives back the same status link).
"""

from __future__ import annotations

import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from caim.editorial.signin import client_address
from caim.i18n import page_language
from caim.intake import actions
from caim.intake.forms import CorrectionForm, PublicForm, SubmissionForm
from caim.intake.models import LeadStatus, Origin
from caim.records.models import PublicRecord, Record

WINDOW_SECONDS = 3600


def _count(key: str) -> int:
    cache.add(key, 0, WINDOW_SECONDS + 60)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, WINDOW_SECONDS + 60)
        return 1


def over_limit(address_hash: str) -> bool:
    """Count this submission in the hour's windows (one per address, one for all); True past either limit."""
    hour = int(time.time() // WINDOW_SECONDS)
    mine = _count(f"caim:intake:addr:{address_hash[:32]}:{hour}") if address_hash else 0
    everyone = _count(f"caim:intake:all:{hour}")
    return mine > settings.CAIM_SUBMIT_PER_ADDRESS or everyone > settings.CAIM_SUBMIT_GLOBAL


def _thanks(request, token: str, *, repeated: bool = False, record=None):
    return render(request, "intake/thanks.html", {"token": token, "repeated": repeated, "record": record})


def _receive(request, form: PublicForm, template: str, context: dict, *, origin: str, record=None):
    """The POST pipeline shared by both forms."""
    if form.is_robot():
        return _thanks(request, secrets.token_urlsafe(32), record=context.get("public"))
    address_hash = actions.hash_address(client_address(request))
    if over_limit(address_hash):
        message = _("You have sent many reports in a short time. Please wait an hour and send this one again; "
                    "what you wrote is still in the form.")  # fmt: skip
        return render(request, template, {**context, "form": form, "limited": message}, status=429)
    if not form.is_valid():
        return render(request, template, {**context, "form": form}, status=400)
    done = actions.submit_lead(
        origin=origin,
        raw_text=form.text("what"),
        urls=form.cleaned_data.get("urls") or [],
        occurred=form.text("when", single_line=True) if "when" in form.fields else "",
        place=form.text("where", single_line=True) if "where" in form.fields else "",
        email=form.cleaned_data.get("email") or "",
        consent=form.cleaned_data["consent"],
        language=page_language(),
        address_hash=address_hash,
        record=record,
    )
    return _thanks(request, done.token, repeated=done.repeated, record=context.get("public"))


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request):
    template, context = "intake/submit.html", {}
    if request.method != "POST":
        return render(request, template, {"form": SubmissionForm()})
    return _receive(request, SubmissionForm(request.POST), template, context, origin=Origin.SUBMISSION)


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def correction(request, pk: int):
    """The correction form of a public record (by id: a record page links here)."""
    public = PublicRecord.objects.listed().filter(pk=pk).first()
    if public is None:
        raise Http404
    template = "intake/correction.html"
    context = {"public": public, "title": public.title(page_language()), "url": public.url(page_language())}
    if request.method != "POST":
        return render(request, template, {**context, "form": CorrectionForm()})
    record = Record.objects.get(pk=public.pk)
    return _receive(request, CorrectionForm(request.POST), template, context, origin=Origin.CORRECTION,
                    record=record)  # fmt: skip


STEPS = (LeadStatus.RECEIVED, LeadStatus.SCREENING)


@never_cache
@require_safe
def status(request, token: str):
    lead = actions.find_by_token(token)
    if lead is None:
        raise Http404
    lang = page_language()
    shown = actions.public_status(lead, lang)
    return render(
        request,
        "intake/status.html",
        {
            "lead": lead,
            "shown": shown,
            "closed": shown.status not in STEPS,
            "screening_reached": shown.status != LeadStatus.RECEIVED,
            "is_correction": lead.origin == Origin.CORRECTION,
        },  # fmt: skip
    )
