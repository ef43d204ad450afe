"""Application set-up: configuration, secret key, migrations, demo content."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hoering import ConfigurationError, create_app
from hoering.accounts.models import User
from hoering.consultations.models import Consultation
from hoering.extensions import db


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for key in ["HOERING_SECRET_KEY", "HOERING_DATABASE_URL", "FLASK_DEBUG"]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOERING_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    return monkeypatch


@pytest.mark.parametrize("key", [None, "", "dev-insecure-change-me", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(clean_env, key):
    if key is not None:
        clean_env.setenv("HOERING_SECRET_KEY", key)
    with pytest.raises(ConfigurationError, match="HOERING_SECRET_KEY"):
        create_app({"SECRET_KEY": key} if key is not None else {"SECRET_KEY": None})


def test_secret_key_and_database_come_from_the_environment(clean_env, tmp_path):
    clean_env.setenv("HOERING_SECRET_KEY", "a-long-random-secret-value-123")
    clean_env.setenv("HOERING_COMMENT_MAX_LENGTH", "2000")
    app = create_app()
    assert app.config["SECRET_KEY"] == "a-long-random-secret-value-123"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert app.config["COMMENT_MAX_LENGTH"] == 2000


def test_debug_and_testing_may_use_the_placeholder_key(clean_env):
    assert create_app({"TESTING": True}).testing


def test_migrations_match_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_demo_loads_once_and_prints_the_accounts(runner, app, browser, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_DIR", str(tmp_path / "documents"))  # the demo's scanned letters
    first = runner.invoke(args=["hoering", "demo"])
    second = runner.invoke(args=["hoering", "demo"])

    assert first.exit_code == 0 and "Loaded the demo content." in first.output
    assert "innbygger@fjordvik.example  demo-innbygger  citizen" in first.output
    assert second.exit_code == 0 and "nothing changed" in second.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 6
        roles = set(db.session.scalars(sa.select(User.role).where(User.email.is_not(None))))
    assert roles == {"citizen", "moderator", "case_officer", "admin"}
    response = browser.submit("/logg-inn", data={"email": "innbygger@fjordvik.example", "password": "demo-innbygger"})
    assert response.status_code == 303
    page = browser.get("/hoeringer/gang-og-sykkelvei-strandvegen").get_data(as_text=True)
    assert "Svar til Ingrid Berg" in page and "/fjern\"" in page  # Kari may remove her own comment
    archive = browser.get("/arkiv").get_data(as_text=True)  # a decided, archived consultation to show
    assert "Kulturskolen flytter inn i gamle Fjordvik bank" in archive and "Vedtatt" in archive
    assert "Kulturskolen flytter" not in browser.get("/").get_data(as_text=True)
    decided = browser.get("/hoeringer/kulturskole-gamle-banken").get_data(as_text=True)
    assert "Dette ble vedtatt" in decided and "27 mot 6 stemmer" in decided
    assert "<dt>Vedtatt av</dt>" in decided and "<dt>Vedtas av</dt>" not in decided  # past, not future
    assert "<dt>Vedtas av</dt>" in browser.get("/hoeringer/skolebruksplan").get_data(as_text=True)
    responses = browser.get("/hoeringer/gang-og-sykkelvei-strandvegen/hoeringssvar").get_data(as_text=True)
    assert "Fjordvik idrettslag" in responses and "[unntatt]" in responses  # published, and with parts removed
    assert "Strandvegen Marina" not in responses and "forretningshemmeligheter" in responses  # held back
    assert "Gunnhild Haugen" not in responses  # the letter is not screened yet
