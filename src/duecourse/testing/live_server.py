"""The test live server (pytest-django's `live_server`) on the in-memory SQLite test database.

Django hands that database's one connection to every thread of its threaded live server. A browser loads a
page's parts in parallel (htmx: the bell, the home summary, a profile's cards), so two request threads then
used one SQLite connection at once, and could wait for each other forever: a suite that never ends. On
SQLite the live server answers one request at a time instead (each answer closes its connection, so a
browser opens another); on PostgreSQL each thread has its own connection and the server stays threaded.
"""

from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread


class OneRequestAtATimeServer(WSGIServer):
    """Django's WSGIServer with the threaded one's `connections_override` (used by LiveServerThread.run,
    in the server's one thread)."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


def serve_one_request_at_a_time_on_sqlite(engine: str) -> None:
    if "sqlite" in engine:
        LiveServerThread.server_class = OneRequestAtATimeServer  # type: ignore[assignment]  # same interface, one thread
