"""The provider's WSGI application; it creates its tables in its fresh SQLite database before serving."""

import os

import django
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oidc_provider.settings")
django.setup()
call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
application = get_wsgi_application()
