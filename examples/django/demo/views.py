"""Views of the Django example: a database-backed form (CSRF-protected) and a
file upload that is hashed as it streams in."""

import os

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from .forms import NoteForm
from .models import Note
from .uploads import HashingUploadHandler


@require_http_methods(["GET", "POST"])
def index(request):
    form = NoteForm(request.POST) if request.method == "POST" else NoteForm()
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("index")  # Post/Redirect/Get: a reload does not post again
    context = {"form": form, "notes": Note.objects.all()[:10], "pid": os.getpid()}
    return render(request, "demo/index.html", context, status=400 if form.errors else 200)


@csrf_exempt  # not really: _upload below checks the token
@require_http_methods(["GET", "POST"])
def upload(request):
    # The CSRF check reads request.POST, which parses the whole body with the
    # upload handlers of that moment; so ours must be in place before the check
    # runs (the pattern Django documents for changing upload handlers).
    request.upload_handlers = [HashingUploadHandler(request)]
    return _upload(request)


@csrf_protect
def _upload(request):
    if request.method == "GET":
        return render(request, "demo/upload.html")
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return render(request, "demo/upload.html", {"error": "Choose a file."}, status=400)
    return JsonResponse({"name": uploaded.name, "size": uploaded.size, "sha256": uploaded.sha256})
