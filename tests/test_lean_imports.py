"""A web worker loads the heavy libraries only where they are used (issue 14): creating
the app and serving anonymous pages imports no numpy, scikit-learn, SciPy, Alembic or
matplotlib; a search imports numpy; ``flask db`` still runs Flask-Migrate's commands.

Each check runs in a fresh Python process, whose ``sys.modules`` is inspected."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAVY = ("numpy", "sklearn", "scipy", "alembic", "flask_migrate", "matplotlib", "fpdf", "docx", "openpyxl",
         "boto3")

#: Creates the app as ``wsgi.py`` does, requests the paths given as arguments anonymously,
#: and prints ``{"statuses": [...], "loaded": [heavy modules imported]}``.
SCRIPT = """
import json, sys
from hoering import create_app
app = create_app()
client = app.test_client()
statuses = [client.get(path).status_code for path in sys.argv[2:]]
heavy = sys.argv[1].split(",")
print(json.dumps({"statuses": statuses, "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(heavy))}))
"""


def _environment(app, tmp_path) -> dict:
    return {**os.environ, "HOERING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "HOERING_SECRET_KEY": "a-secret-for-the-import-test-only-0123456789",
            "HOERING_SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "HOERING_MAIL_DIR": str(tmp_path),
            "HOERING_SEARCH_INDEX_INLINE": "false", "PYTHONPATH": PROJECT}


def _serve(app, tmp_path, *paths: str) -> dict:
    result = subprocess.run([sys.executable, "-c", SCRIPT, ",".join(HEAVY), *paths], env=_environment(app, tmp_path),
                            cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_app_and_anonymous_pages_import_no_heavy_library(app, make_consultation, make_comment, make_user, tmp_path):
    consultation = make_consultation(title="Ny barnehage i Fjordvik")
    make_comment(consultation, make_user(), "Barnehagen trenger en større uteplass.")
    found = _serve(app, tmp_path, "/", f"/hoeringer/{consultation.slug}", "/sok", "/ordensregler", "/arkiv",
                   "/api/v1/consultations", "/logg-inn")
    assert found["statuses"] == [200] * 7
    assert found["loaded"] == []


def test_a_search_imports_numpy_where_it_is_used(app, make_consultation, make_comment, make_user, tmp_path, search_inline):
    consultation = make_consultation(title="Ny barnehage i Fjordvik")
    make_comment(consultation, make_user(), "Barnehagen trenger en større uteplass.")
    found = _serve(app, tmp_path, "/sok?q=uteplass")
    assert found["statuses"] == [200]
    assert found["loaded"] == ["numpy"]


def test_flask_db_runs_flask_migrates_commands(app, tmp_path):
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi", "db", "current"],
                            env=_environment(app, tmp_path), cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "(head)" in result.stdout
