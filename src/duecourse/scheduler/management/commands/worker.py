import datetime as dt
import signal
import threading

from django.core.management.base import CommandError

from duecourse.core import clock
from duecourse.core.management.base import DuecourseCommand
from duecourse.scheduler.tick import run_tick


class Command(DuecourseCommand):
    help = (
        "Run the scheduler: escalation, compliance flags, expiry notices, recurrence, reminders, email composition "
        "and outbox delivery. Loops every --interval seconds; --once runs one tick; --now runs the tick as if it "
        "were that moment (retries and backoff included). Several workers may run at once on PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one tick and exit.")
        parser.add_argument("--now", default=None, help="ISO timestamp to run the tick as if it were that moment.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between ticks (default 30).")

    def handle(self, *args, **options):
        moment = None
        if options["now"]:
            try:
                moment = dt.datetime.fromisoformat(options["now"].replace("Z", "+00:00"))
            except ValueError:
                raise CommandError(f"--now: {options['now']!r} is not an ISO timestamp") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
        if options["interval"] <= 0:
            raise CommandError("--interval: must be more than 0 seconds")
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        while True:
            now = moment or clock.now()
            with clock.running_at(now):
                report = run_tick(now=now)
            summary = ", ".join(f"{k}={report.counts[k]} ({report.steps[k]:.2f}s)" for k in report.counts)
            self.stderr.write(f"tick at {now.isoformat()}: {summary}")
            if options["once"] or stop.wait(options["interval"]):
                return
