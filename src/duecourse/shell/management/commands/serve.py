"""`duecourse serve`: migrate, optionally load the demo company, then serve with gunicorn (and the worker).

gunicorn is embedded (its arbiter runs in this process), so one command is the whole install: the
master binds the port, forks the web worker processes and supervises the scheduler worker as a
child process. SIGTERM and Ctrl-C both shut down gracefully (requests in flight finish); a second
Ctrl-C forces it.
"""

import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.core.servers.basehttp import get_internal_wsgi_application
from django.db import connections
from django.urls import get_resolver
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from duecourse.core.management.base import DuecourseCommand

logger = logging.getLogger("duecourse.serve")

WILDCARD_HOSTS = {"0.0.0.0", "::", ""}  # noqa: S104 (names, not a bind)
SCHEDULER_RESTART_DELAY = 5.0
GRACEFUL_TIMEOUT = 30  # seconds requests in flight (and the scheduler's tick) get to finish at shutdown


class Command(DuecourseCommand):
    help = (
        "Serve the web UI and the API with gunicorn. Applies migrations first, collects static files, "
        "optionally loads the demo company (--demo) and runs the scheduler worker beside the web "
        "server unless --no-worker. Stop it with Ctrl-C or SIGTERM (graceful: requests in flight finish)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)."
        )
        parser.add_argument("--port", type=int, default=8000, help="TCP port to listen on (default 8000).")
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Load the demo company (about 200 people, groups, logins) unless it is already there, "
            "and print its logins and a new API token.",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the scheduler worker in this process (run `duecourse worker` separately).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Web worker processes (default 2; 1 on SQLite, where one process with threads is best).",
        )
        parser.add_argument("--threads", type=int, default=4, help="Threads per web worker process (default 4).")

    def handle(self, *args, **options):
        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise CommandError(f"--port: {port} is not a TCP port (1-65535)")
        if options["threads"] < 1:
            raise CommandError("--threads: must be at least 1")
        workers = options["workers"] if options["workers"] is not None else self._default_workers()
        if workers < 1:
            raise CommandError("--workers: must be at least 1")
        _check_port_free(host, port)
        base_url = self._adopt_address(host, port)

        self.stderr.write("Applying migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        self._collect_static()
        demo = None
        if options["demo"]:
            from duecourse.shell.demo import demo_load

            self.stderr.write("Loading the demo company…")
            demo = demo_load()
        # The web workers are forked from this process: none may inherit an open connection or pool.
        _close_database_connections()

        scheduler = None if options["no_worker"] else _Scheduler.if_installed()
        banner = self._banner(base_url, demo, scheduler, options["no_worker"])
        application = get_internal_wsgi_application()
        _settle_heap()
        app = _GunicornApp(
            application,
            {
                "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
                "workers": workers,
                "worker_class": "gthread",
                "threads": options["threads"],
                "timeout": 120,  # large imports are long requests
                "graceful_timeout": GRACEFUL_TIMEOUT,
                "keepalive": 5,
                "worker_tmp_dir": _heartbeat_dir(),
                "accesslog": "-",
                "errorlog": "-",
                "loglevel": logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower(),
                "proc_name": "duecourse",
                "control_socket_disable": True,
                "when_ready": lambda _server: self._print(banner),
                "post_worker_init": _graceful_sigint,
            },
            scheduler,
        )
        app.run()

    def _default_workers(self) -> int:
        return 1 if connections["default"].vendor == "sqlite" else 2

    def _adopt_address(self, host: str, port: int) -> str:
        """The URL people reach this server at; without explicit settings, derived from --host/--port."""
        shown_host = "127.0.0.1" if host in WILDCARD_HOSTS else host
        url = f"http://[{shown_host}]:{port}" if ":" in shown_host else f"http://{shown_host}:{port}"
        # Settings were read before the options: adopt the address unless the operator configured it.
        if "DUECOURSE_BASE_URL" not in os.environ:
            settings.BASE_URL = url
            settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, url]
            os.environ["DUECOURSE_BASE_URL"] = url  # for the scheduler worker's links
        if "DUECOURSE_ALLOWED_HOSTS" not in os.environ:
            if host in WILDCARD_HOSTS:
                self.stderr.write(
                    "Listening on every interface: set DUECOURSE_ALLOWED_HOSTS to the host names clients use."
                )
            elif host not in settings.ALLOWED_HOSTS:
                settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]
        return url

    def _collect_static(self) -> None:
        """Copy changed static files to STATIC_ROOT (WhiteNoise serves them; finders cover the rest)."""
        try:
            call_command("collectstatic", interactive=False, verbosity=0)
        except OSError as exc:
            self.stderr.write(f"Static files not collected ({exc}); serving them from the installed packages.")

    def _banner(self, url: str, demo, scheduler, no_worker: bool) -> str:
        lines = ["", f"duecourse is running at {url}/", f"  API docs: {url}/api/v1/docs"]
        if demo is not None:
            lines += [
                "",
                f"Demo company {demo.tenant.name!r} ({demo.people} people"
                + (", just loaded" if demo.created else ", already loaded")
                + f"). Log in with any of these, password {demo.password}:",
            ]
            width = max(len(login.email) for login in demo.logins)
            lines += [f"  {login.email:<{width}}  {login.role:<10}  {login.what}" for login in demo.logins]
            for email, token in demo.tokens.items():
                lines += [
                    "",
                    f"API token for {email} (new on every start; shown once):",
                    f"  {token}",
                    f'  curl -H "Authorization: Bearer {token}" {url}/api/v1/people',
                ]
        if no_worker:
            lines += ["", "Scheduler worker: not started (--no-worker); run `duecourse worker` separately."]
        elif scheduler is None:
            lines += ["", "Scheduler worker: not installed yet (no `worker` command); serving the web UI and API only."]
        else:
            lines += ["", "Scheduler worker: running beside the web server."]
        lines += ["", "Press Ctrl-C to stop.", ""]
        return "\n".join(lines)

    def _print(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


def _check_port_free(host: str, port: int) -> None:
    """Fail fast with a clear message rather than gunicorn's retry loop on a busy port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"--port: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                "is another server running there? Choose another with --port."
            ) from None


def _heartbeat_dir() -> str | None:
    """Where workers touch their heartbeat file, several times a request: a memory file system when there is
    one. On disk each touch is a journalled inode update (a fifth of a small API request on the 2-core
    development machine)."""
    shm = "/dev/shm"  # noqa: S108 - a directory for gunicorn's own private temporary files
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _settle_heap() -> None:
    """Load every view now and move everything loaded into the garbage collector's permanent generation,
    so the forked workers share those pages and their collections never walk them: a full collection of
    the loaded application took 130 ms here, a stall of every request in flight in that worker."""
    get_resolver().url_patterns  # noqa: B018 - imports every URLconf, API router and view module
    gc.collect()
    gc.freeze()


def _close_database_connections() -> None:
    for connection in connections.all(initialized_only=True):
        connection.close()
        if connection.alias in getattr(connection, "_connection_pools", {}):
            connection.close_pool()  # type: ignore[attr-defined]  # only PostgreSQL's wrapper keeps pools


def _graceful_sigint(worker) -> None:
    """Ctrl-C reaches the whole process group: let web workers finish their requests, like SIGTERM."""
    signal.signal(signal.SIGINT, worker.handle_exit)


class _Scheduler:
    """The `duecourse worker` child process, restarted if it dies while the server runs."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.exited_at: float | None = None

    @classmethod
    def if_installed(cls) -> "_Scheduler | None":
        if "worker" not in get_commands():
            logger.info("No scheduler worker is installed yet (no `worker` command): serving the web only.")
            return None
        return cls()

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "duecourse.config.cli", "worker"])  # noqa: S603
        self.exited_at = None
        logger.info("Scheduler worker started (pid %s)", self.process.pid)

    def check(self) -> None:
        """Start the worker, or restart it a little while after it died (never in a tight loop)."""
        if self.process is None:
            self.start()
            return
        if self.process.poll() is None:
            return
        if self.exited_at is None:
            self.exited_at = time.monotonic()
            logger.error(
                "Scheduler worker (pid %s) stopped with status %s; restarting in %ss",
                self.process.pid,
                self.process.returncode,
                SCHEDULER_RESTART_DELAY,
            )
        elif time.monotonic() - self.exited_at >= SCHEDULER_RESTART_DELAY:
            self.start()

    def terminate(self, *, graceful: bool) -> None:
        """Ask the worker to stop: after its current tick (graceful), or at once."""
        if self.process is not None and self.process.poll() is None:
            if graceful:
                self.process.terminate()
            else:
                self.process.kill()

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            logger.warning("Scheduler worker did not stop within %ss; killing it", timeout)
            self.process.kill()
            self.process.wait()


class _Arbiter(Arbiter):
    """gunicorn's master, which also supervises the scheduler and treats Ctrl-C like SIGTERM."""

    def __init__(self, app, scheduler: _Scheduler | None):
        self.scheduler = scheduler
        super().__init__(app)

    handle_int = Arbiter.handle_term

    def manage_workers(self):
        super().manage_workers()
        if self.scheduler is not None:
            self.scheduler.check()

    def stop(self, graceful=True):
        """Stop the scheduler alongside the web workers, and wait for both."""
        if self.scheduler is not None:
            self.scheduler.terminate(graceful=graceful)
        super().stop(graceful)
        if self.scheduler is not None:
            self.scheduler.wait(timeout=self.cfg.graceful_timeout)


class _GunicornApp(BaseApplication):
    def __init__(self, application, options: dict, scheduler: _Scheduler | None):
        self.application = application
        self.options = options
        self.scheduler = scheduler
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application

    def run(self):
        try:
            _Arbiter(self, self.scheduler).run()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
