"""`manage.py demo_setup --username U --password P`: everything the example needs
before it can serve, run again on every start of the demo (it is idempotent).

It creates the data directory (GANTRY_DJANGO_DATA_DIR), applies the
migrations to the SQLite database there, creates the superuser U with password
P unless a user U exists already (an existing one is left as it is), and
collects the static files for nginx.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare the demo: migrate, create the demo superuser if missing, collectstatic."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, username, password, verbosity, **options):
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=verbosity)
        self.ensure_superuser(username, password, verbosity)
        call_command("collectstatic", interactive=False, verbosity=verbosity)

    def ensure_superuser(self, username, password, verbosity):
        users = get_user_model()
        if users.objects.filter(username=username).exists():
            message = f"Superuser {username!r} exists already: left as it is."
        else:
            users.objects.create_superuser(username=username, email="", password=password)
            message = f"Superuser {username!r} created."
        if verbosity >= 1:
            self.stdout.write(message)
