"""The provider's WSGI application; it creates its tables in its fresh SQLite database before serving, and shuts
the server down if the test process that started it (OIDC_PROVIDER_PARENT_PID) is gone without stopping it."""

import os
import signal
import threading
import time

import django
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oidc_provider.settings")
django.setup()
call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
application = get_wsgi_application()


def _stop_when_orphaned(parent_pid: int) -> None:
    while True:
        time.sleep(1)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os.kill(os.getppid(), signal.SIGINT)  # gunicorn's arbiter: quick shutdown
            return


if os.environ.get("OIDC_PROVIDER_PARENT_PID"):
    threading.Thread(
        target=_stop_when_orphaned, args=(int(os.environ["OIDC_PROVIDER_PARENT_PID"]),), daemon=True
    ).start()
