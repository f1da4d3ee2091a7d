"""The production entry point: threads of a worker take turns often (see caim/wsgi.py)."""

import importlib
import sys


def test_the_wsgi_module_makes_threads_take_turns_every_millisecond(monkeypatch):
    monkeypatch.delenv("CAIM_THREAD_SWITCH_SECONDS", raising=False)
    before = sys.getswitchinterval()
    try:
        importlib.reload(importlib.import_module("caim.wsgi"))
        assert sys.getswitchinterval() == 0.001
    finally:
        sys.setswitchinterval(before)
