"""The bench's Django site with WhiteNoise in front of it, serving BENCH_STATIC_ROOT under
/static/, as a Django deployment without nginx usually serves its static files (through
Python, in the request thread). For bench/static_bench.py."""

import os

from whitenoise import WhiteNoise

from djsite.wsgi import application as django_application

application = WhiteNoise(django_application, root=os.environ["BENCH_STATIC_ROOT"],
                         prefix="static/")
