"""Template context shared by every page: site name, banner, language switch, canonical URLs."""

from __future__ import annotations

from django.conf import settings
from django.urls import translate_url

from caim.i18n import page_language


def site(request):
    lang = page_language()
    other = "en" if lang == "fr" else "fr"
    path = request.path
    query = request.META.get("QUERY_STRING", "")
    suffix = f"?{query}" if query else ""  # the other language keeps the filters of a list
    # A view that knows its page's address in both languages sets request.alternates (a record page: resolving
    # the address again took a tenth of its time).
    alternates = getattr(request, "alternates", None) or {
        code: translate_url(path, code) for code in ("en", "fr")
    }
    return {
        "site_name": settings.CAIM_SITE_NAME_FR if lang == "fr" else settings.CAIM_SITE_NAME,
        "site_url": settings.CAIM_SITE_URL,
        "site_banner": settings.CAIM_BANNER_FR if lang == "fr" else settings.CAIM_BANNER_EN,
        "feedback_url": settings.CAIM_FEEDBACK_URL
        if lang == "en"
        else "/fr" + settings.CAIM_FEEDBACK_URL
        if settings.CAIM_FEEDBACK_URL.startswith("/")
        else settings.CAIM_FEEDBACK_URL,
        "page_lang": lang,
        "other_lang": other,
        "other_lang_name": "Français" if other == "fr" else "English",
        "other_lang_url": alternates[other] + suffix,
        "alternates": alternates,
    }
