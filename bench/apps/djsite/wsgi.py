import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "djsite.settings")
application = get_wsgi_application()


def wait_application(environ, start_response):
    """The same site with every request sent to /wait/: the bench's load and checks ask
    for / (catalog.App has no path)."""
    environ["PATH_INFO"] = "/wait/"
    return application(environ, start_response)
