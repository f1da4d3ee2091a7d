from __future__ import annotations

import time

import pytest
from django.core import signing

from caim.intake.forms import SIGNING_SALT


def started(seconds_ago: float = 30) -> str:
    """The hidden field of a form shown `seconds_ago`."""
    return signing.dumps(time.time() - seconds_ago, salt=SIGNING_SALT)


def submission(**changes) -> dict:
    data = {"urls": "https://news.example.ca/ai-chatbot-error\nhttp://example.org/story", "what": "A chatbot gave wrong refund rules.",
            "when": "March 2026", "where": "Toronto", "email": "", "consent": "on", "website": "",
            "started": started()}  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """`with commits(execute=True):` runs what waits for the commit (status emails) as a real commit would."""
    return django_capture_on_commit_callbacks
