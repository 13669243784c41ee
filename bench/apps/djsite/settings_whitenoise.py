"""The bench site with WhiteNoise as its documentation deploys it for Django: the middleware
right after SecurityMiddleware, serving STATIC_ROOT (BENCH_STATIC_ROOT) at /static/."""

import os

from djsite.settings import *  # noqa: F401,F403
from djsite.settings import MIDDLEWARE

MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STATIC_URL = "/static/"
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
