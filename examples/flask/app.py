"""Flask example served by gantry: templates, a form, JSON and static files.

nginx serves /static/ from disk (see nginx-site.conf); everything else reaches
this app through gantry. /api/info and /api/echo exist so that tests can see
what the app received.
"""

import hashlib
import os

from flask import Flask, jsonify, render_template, request

app = Flask(__name__)
application = app  # the name gantry imports by default (module app:application)


@app.get("/")
def index():
    return render_template("index.html", pid=os.getpid())


@app.route("/greet", methods=["GET", "POST"])
def greet():
    if request.method == "GET":
        return render_template("greet.html")
    name = request.form.get("name", "").strip()
    if not name:
        return render_template("greet.html", error="Please enter a name."), 400
    return render_template("greet.html", name=name)  # Jinja autoescapes it


@app.route("/api/info", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def info():
    return jsonify(
        app="gantry-flask-example",
        method=request.method,
        path=request.path,
        query=request.args.to_dict(),  # first value of each key
        pid=os.getpid(),
    )


@app.post("/api/echo")
def echo():
    # Hash the body as it streams in, so large uploads are never held in memory.
    digest = hashlib.sha256()
    length = 0
    while chunk := request.stream.read(64 * 1024):
        digest.update(chunk)
        length += len(chunk)
    return jsonify(length=length, sha256=digest.hexdigest())
