import pytest

from compass.settings import ConfigurationError, Settings, get_settings


def test_development_needs_nothing_set():
    settings = get_settings()
    assert settings.COMPASS_ENV == "development"
    assert settings.uses_offline_model
    assert settings.db_path.name == "compass.db"
    assert settings.queue_path.name == "queue.db"


def test_production_refuses_to_start_naming_each_missing_secret(monkeypatch):
    monkeypatch.setenv("COMPASS_ENV", "production")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    with pytest.raises(ConfigurationError) as error:
        get_settings()
    message = str(error.value)
    for name in ("SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ANTHROPIC_API_KEY", "SMTP_HOST"):
        assert name in message
    assert "STRIPE_SECRET_KEY" not in message


def test_production_with_every_secret_starts(monkeypatch):
    values = {
        "COMPASS_ENV": "production", "SECRET_KEY": "s" * 40, "BASE_URL": "https://x.example",
        "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "ANTHROPIC_API_KEY": "sk-ant-x", "SMTP_HOST": "smtp.example", "MAIL_FROM": "a@b.example",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    assert settings.is_production and not settings.uses_offline_model


def test_empty_variable_means_unset_and_secrets_do_not_print(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "")
    assert Settings().ANTHROPIC_API_KEY is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-value")
    settings = Settings()
    assert "sk-ant-secret-value" not in repr(settings)


def test_admin_emails_are_normalised(monkeypatch):
    monkeypatch.setenv("ADMIN_EMAILS", " Boss@Example.com, ,ops@example.com ")
    assert Settings().admin_emails == {"boss@example.com", "ops@example.com"}


def test_development_base_url_follows_port(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    assert Settings().BASE_URL == "http://127.0.0.1:8123"
    monkeypatch.setenv("BASE_URL", "https://compass.example")
    assert Settings().BASE_URL == "https://compass.example"


def test_model_overrides_per_tier_and_globally(monkeypatch):
    assert Settings().model_for("premium") is None
    monkeypatch.setenv("COMPASS_MODEL", "claude-sonnet-5-5")
    monkeypatch.setenv("COMPASS_MODEL_STARTER", "claude-haiku-5-5")
    settings = Settings()
    assert settings.model_for("starter") == "claude-haiku-5-5"
    assert settings.model_for("premium") == "claude-sonnet-5-5"
