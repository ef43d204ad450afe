"""Mails come from the configured sender, never noreply@localhost; send-mail says where its
links point and warns when the site's address is not configured."""

from __future__ import annotations

import datetime as dt

import pytest

from hoering import ConfigurationError, create_app
from tests.notifications.test_mail import follow, send_mail, smtp  # noqa: F401  (the SMTP server fixture)


def _mail_from_someone(browser_for, make_consultation, runner, smtp):  # noqa: F811
    consultation = make_consultation(title="Ny bru")
    follower = browser_for(email="liv@example.org")
    follow(follower, consultation)
    officer = browser_for("case_officer")
    later = consultation.deadline + dt.timedelta(days=14)
    officer.submit(f"/saksbehandling/hoeringer/{consultation.slug}/livslop",
                   data={"action": "extend", "deadline": later.isoformat(),
                         "reason": "Flere vil si sin mening."})
    output = send_mail(runner, "--no-reminders")
    return smtp.to("liv@example.org")[0], output


def test_the_sender_is_the_owner_at_the_sites_domain(browser_for, make_consultation, runner, smtp, app,  # noqa: F811
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "SITE_OWNER", "Fjordvik kommune")
    message, output = _mail_from_someone(browser_for, make_consultation, runner, smtp)
    assert message["From"] == "Fjordvik kommune <noreply@hoering.fjordvik.example>"
    assert message["Message-ID"].endswith("@hoering.fjordvik.example>")
    assert "links point to https://hoering.fjordvik.example" in output


def test_a_configured_name_and_address_are_used_and_encoded(browser_for, make_consultation, runner, smtp, app,  # noqa: F811
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FROM_NAME", "Høringer i Fjordvik")
    monkeypatch.setitem(app.config, "MAIL_FROM_ADDRESS", "postmottak@fjordvik.example")
    message, _output = _mail_from_someone(browser_for, make_consultation, runner, smtp)
    assert str(message["From"]) == "Høringer i Fjordvik <postmottak@fjordvik.example>"
    assert message["From"].addresses[0].addr_spec == "postmottak@fjordvik.example"


def test_send_mail_warns_when_the_site_address_is_the_default(runner, app, monkeypatch):
    from hoering.config import DefaultConfig

    monkeypatch.setitem(app.config, "SITE_URL", DefaultConfig.SITE_URL)
    result = runner.invoke(args=["hoering", "send-mail", "--no-reminders"])
    assert result.exit_code == 0
    assert "SITE_URL is not configured" in result.output and "hoering@localhost.invalid" in result.output
    assert "noreply@localhost>" not in result.output


@pytest.mark.parametrize("settings, starts", [
    ({"MAIL_SMTP_HOST": "smtp.example.org", "SITE_URL": "http://127.0.0.1:8000"}, False),
    ({"MAIL_SMTP_HOST": "smtp.example.org", "SITE_URL": "https://hoering.fjordvik.kommune.no"}, True),
    ({"MAIL_SMTP_HOST": "smtp.example.org", "SITE_URL": "http://127.0.0.1:8000",
      "MAIL_FROM_ADDRESS": "postmottak@fjordvik.kommune.no"}, True),
    ({"MAIL_FROM_ADDRESS": "ikke-en-adresse"}, False),
])
def test_production_refuses_to_send_without_a_sender(tmp_path, settings, starts):
    config = {"SECRET_KEY": "a-long-random-secret-for-this-test", "SQLALCHEMY_DATABASE_URI": "sqlite://",
              "ALLOWED_HOSTS": [], **settings}
    if starts:
        assert create_app(config) is not None
    else:
        with pytest.raises(ConfigurationError, match="MAIL_FROM_ADDRESS"):
            create_app(config)
