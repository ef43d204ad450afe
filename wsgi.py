"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``."""

from hoering import create_app

app = create_app()
