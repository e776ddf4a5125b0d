"""The one place that says what time it is, so tests and `--now` can move it."""

import contextlib
import datetime as dt
from contextvars import ContextVar

from django.utils import timezone

_frozen_now: ContextVar[dt.datetime | None] = ContextVar("duecourse_frozen_now", default=None)


def now() -> dt.datetime:
    frozen = _frozen_now.get()
    return frozen if frozen is not None else timezone.now()


@contextlib.contextmanager
def running_at(moment: dt.datetime):
    """Run a block as if it were `moment` (a scheduler tick, `duecourse worker --now`, the benchmark)."""
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    token = _frozen_now.set(moment)
    try:
        yield
    finally:
        _frozen_now.reset(token)
