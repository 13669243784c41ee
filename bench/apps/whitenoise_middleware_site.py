"""The bench's Django site serving BENCH_STATIC_ROOT through WhiteNoiseMiddleware (Django's
usual way), for bench/static_bench.py."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "djsite.settings_whitenoise"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
