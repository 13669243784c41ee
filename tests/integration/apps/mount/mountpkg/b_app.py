"""The app mounted at /b, imported by a dotted module path with the default callable name."""

from mounted import make_app

application = make_app("b")
