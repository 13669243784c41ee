import time

from django.http import HttpResponse
from django.shortcuts import render

ITEMS = [{"name": f"item {i}", "price": i * 1.25} for i in range(20)]
WAIT_S = 0.005   # one database round trip, roughly


def index(request):
    return render(request, "index.html", {"title": "Gantry bench", "items": ITEMS})


def wait(request):
    """A view that spends its time waiting on I/O, not computing: the sleep stands in for a
    database query (the GIL is released meanwhile, so a worker's other threads run)."""
    start = time.perf_counter()
    time.sleep(WAIT_S)
    return HttpResponse(f"waited {(time.perf_counter() - start) * 1000:.2f} ms\n",
                        content_type="text/plain")
