import os
import re
import subprocess
import sys
from pathlib import Path

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
        "COMPASS_ENV": "production", "SECRET_KEY": "0123456789abcdefghijklmnopqrstuv",
        "BASE_URL": "https://x.example",
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


PRODUCTION = {
    "COMPASS_ENV": "production", "SECRET_KEY": "kQ3v9-Zt1xR_mB7wP2sL8yN4cF6hJ0dG",
    "BASE_URL": "https://compass.example", "STRIPE_SECRET_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x", "ANTHROPIC_API_KEY": "sk-ant-x",
    "SMTP_HOST": "smtp.example", "MAIL_FROM": "Compass <reports@compass.example>",
}


def production_error(monkeypatch, **changes: str | None) -> str:
    for name, value in (PRODUCTION | changes).items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError) as error:
        get_settings()
    return str(error.value)


def test_production_without_base_url_or_mail_from_names_both(monkeypatch):
    message = production_error(monkeypatch, BASE_URL=None, MAIL_FROM=None)
    assert "BASE_URL is not set" in message and "MAIL_FROM is not set" in message
    assert "SECRET_KEY" not in message


@pytest.mark.parametrize(("changes", "expected"), [
    ({"BASE_URL": "http://compass.example"}, "BASE_URL must be an https:// address"),
    ({"BASE_URL": "https://"}, "BASE_URL must be an https:// address"),
    ({"SECRET_KEY": "x"}, "SECRET_KEY is weak (1 characters"),
    ({"SECRET_KEY": "s" * 40}, "SECRET_KEY is weak (40 characters, 1 different)"),
    ({"MAIL_FROM": "Compass <reports@compass.localhost>"}, "MAIL_FROM must be a real sender"),
    ({"MAIL_FROM": "reports"}, "MAIL_FROM must be a real sender"),
])
def test_production_refuses_weak_or_wrong_values_naming_them(monkeypatch, changes, expected):
    assert expected in production_error(monkeypatch, **changes)


def test_every_problem_is_named_at_once(monkeypatch):
    message = production_error(monkeypatch, BASE_URL="http://x.example", SECRET_KEY="short",
                               MAIL_FROM=None, SMTP_HOST=None)
    for part in ("BASE_URL must be", "SECRET_KEY is weak", "MAIL_FROM is not set",
                 "SMTP_HOST is not set"):
        assert part in message


def test_the_worker_links_to_the_web_port_not_its_own(monkeypatch):
    # honcho gives the worker PORT = web + 100; `make run` passes the web's as COMPASS_WEB_PORT.
    monkeypatch.setenv("PORT", "8100")
    monkeypatch.setenv("COMPASS_WEB_PORT", "8000")
    assert Settings().BASE_URL == "http://127.0.0.1:8000"


def test_env_file_fills_in_what_the_environment_does_not_set(tmp_path, monkeypatch):
    env_file = tmp_path / "settings.env"
    env_file.write_text("ADMIN_EMAILS=boss@example.com   # a comment\n"
                        "COMPASS_MODEL=claude-haiku-5-5\nMETRICS_TOKEN=from-the-file\n")
    monkeypatch.setenv("COMPASS_ENV_FILE", str(env_file))
    monkeypatch.setenv("COMPASS_MODEL", "claude-sonnet-5-5")  # the environment wins
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.admin_emails == {"boss@example.com"}
    assert settings.COMPASS_MODEL == "claude-sonnet-5-5"
    assert os.environ["METRICS_TOKEN"] == "from-the-file"  # for code reading os.environ


def test_the_cli_reads_dot_env_from_its_directory(tmp_path):
    (tmp_path / ".env").write_text(f"COMPASS_DATA_DIR={tmp_path / 'from-dot-env'}\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("COMPASS_DATA_DIR", "COMPASS_ENV_FILE")}
    done = subprocess.run([str(Path(sys.executable).parent / "compass"), "migrate"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-dot-env" / "compass.db").exists()


def test_env_example_lists_every_variable_the_code_reads():
    root = Path(__file__).resolve().parents[1]
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(),
                            re.M))
    read = set(Settings.model_fields)
    for path in [*root.glob("compass/**/*.py"), *root.glob("jobs/*.py"), root / "app.py"]:
        read |= set(re.findall(r"os\.environ(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"",
                               path.read_text()))
    for name in ("Procfile", "litestream.yml", "deploy/entrypoint.sh"):
        read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", (root / name).read_text()))
    assert read - listed == set()
