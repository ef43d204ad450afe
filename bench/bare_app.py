"""The reference of the HTTP benchmarks: a bare Flask app with one "hello" page, served by
the same gunicorn configuration as Hoering (``bench/gunicorn_bench.py``)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """A short HTML page, with no database, template or session."""
    return "<!doctype html><title>Hei</title><p>Hei, verden!</p>"
