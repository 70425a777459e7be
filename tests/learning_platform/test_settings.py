import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    """With DEBUG off and a real secret, `check --deploy` reports no warnings at all."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k" * 20 + "-a-long-random-production-secret-0123456789-xyz",
        ALLOWED_HOSTS="learn.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_when_debug_is_off():
    """Turning DEBUG off without SECRET_KEY refuses to start, naming the variable."""
    result = _manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_an_anchor_id_template_with_an_unknown_field_refuses_to_start():
    """A typo in ANCHOR_ID_TEMPLATE stops the start with the template named, not a 500 later."""
    result = _manage("check", ANCHOR_ID_TEMPLATE="{kind}/{areaa}")
    assert result.returncode != 0
    assert "ANCHOR_ID_TEMPLATE '{kind}/{areaa}' is not a template" in result.stderr


def test_a_review_signing_key_is_required_when_debug_is_off():
    """With DEBUG off and no signing key, the settings refuse to start rather than generate a
    key per machine."""
    result = _manage(
        "check",
        DEBUG="0",
        SECRET_KEY="k" * 20 + "-a-long-random-production-secret-0123456789-xyz",
        REVIEW_SIGNING_KEY="",
        REVIEW_SIGNING_KEY_FILE="",
    )
    assert result.returncode != 0
    assert "REVIEW_SIGNING_KEY or REVIEW_SIGNING_KEY_FILE must be set" in result.stderr


def test_a_demo_progress_step_outside_0_to_1_refuses_to_start():
    """DEMO_PROGRESS_MIN_STEP = 0 would write every report: the start is refused, naming it."""
    result = _manage("check", DEMO_PROGRESS_MIN_STEP="0")
    assert result.returncode != 0
    assert "DEMO_PROGRESS_MIN_STEP in (0, 1]" in result.stderr


def _settings_value(expression: str, **env: str) -> str:
    result = _manage("shell", "-c", f"from django.conf import settings; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_cache_is_read_from_cache_url_before_redis_url():
    """CACHE_URL names the cache on its own; without it REDIS_URL's Redis is the cache, with the
    project's key prefix and short socket timeouts; without either, the process's memory."""
    env = {"CACHE_URL": "", "REDIS_URL": ""}
    assert _settings_value("settings.CACHES['default']['BACKEND']", **env).endswith("LocMemCache")
    redis = _settings_value(
        "settings.CACHES['default']", **{**env, "REDIS_URL": "redis://127.0.0.1:6399/3"}
    )
    assert "RedisCache" in redis and "redis://127.0.0.1:6399/3" in redis
    assert "'KEY_PREFIX': 'lp'" in redis and "'socket_timeout': 3" in redis
    chosen = _settings_value(
        "settings.CACHES['default']['BACKEND']",
        CACHE_URL="dummycache://",
        REDIS_URL="redis://127.0.0.1:6399/3",
    )
    assert chosen == "django.core.cache.backends.dummy.DummyCache"


def test_lists_are_comma_separated_and_an_empty_variable_counts_as_unset():
    """ALLOWED_HOSTS splits on commas with the spaces around each host dropped; a variable set to
    the empty string keeps its default instead of becoming empty."""
    hosts = _settings_value("settings.ALLOWED_HOSTS", ALLOWED_HOSTS="a.example, b.example")
    assert hosts == "['a.example', 'b.example']"
    assert _settings_value("settings.DEMO_RUN_MAX_SECONDS", DEMO_RUN_MAX_SECONDS="") == "15.0"
    assert _settings_value("settings.DEBUG", DEBUG="") == "True"
