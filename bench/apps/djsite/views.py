from django.shortcuts import render

ITEMS = [{"name": f"item {i}", "price": i * 1.25} for i in range(20)]


def index(request):
    return render(request, "index.html", {"title": "Gantry bench", "items": ITEMS})
