"""The WSGI callable gantry imports: `module: mysite.wsgi:application` in gantry.yaml."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")

application = get_wsgi_application()
