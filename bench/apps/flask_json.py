"""A Flask JSON endpoint: routing, a view, jsonify."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/")
def index():
    return jsonify(message="Hello, World!", items=list(range(10)))
