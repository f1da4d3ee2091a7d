"""Where actions get the time from: swappable so that tests and the demo loader can fix it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return timezone.now()


class FixedClock:
    """A clock that says what it is told; `advance` moves it forward."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)


def get_clock() -> Clock:
    return import_string(settings.CAIM_CLOCK)()
