"""``flask hoering create-user``."""

import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.extensions import db


def test_create_user_with_password_option(runner, app, browser):
    result = runner.invoke(args=["hoering", "create-user", "--email", "Admin@Kommune.no", "--name", "Anne",
                                 "--role", "admin", "--password", "et-godt-passord"])
    assert result.exit_code == 0, result.output
    assert "Created admin admin@kommune.no" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.role).where(User.email == "admin@kommune.no")) == "admin"
    response = browser.submit("/logg-inn", data={"email": "admin@kommune.no", "password": "et-godt-passord"})
    assert response.status_code == 303


def test_create_user_asks_for_the_password(runner, app):
    result = runner.invoke(args=["hoering", "create-user", "--email", "m@kommune.no", "--name", "Mona",
                                 "--role", "moderator"], input="hemmelig-passord\nhemmelig-passord\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(User.role).where(User.email == "m@kommune.no")) == "moderator"


def test_create_user_refuses_bad_input(runner):
    bad_role = runner.invoke(args=["hoering", "create-user", "--email", "a@b.no", "--name", "A", "--role", "king",
                                   "--password", "langt-nok-passord"])
    assert bad_role.exit_code != 0 and "king" in bad_role.output
    short = runner.invoke(args=["hoering", "create-user", "--email", "a@b.no", "--name", "A", "--password", "kort"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    runner.invoke(args=["hoering", "create-user", "--email", "a@b.no", "--name", "A", "--password", "langt-nok-passord"])
    duplicate = runner.invoke(args=["hoering", "create-user", "--email", "A@B.no", "--name", "B",
                                    "--password", "langt-nok-passord"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
