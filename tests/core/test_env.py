import pytest

from bridgenote.conf import env
from bridgenote.conf.env import ConfigError


def test_boolean_rejects_typos(monkeypatch):
    monkeypatch.setenv("BRIDGENOTE_X", "ture")
    with pytest.raises(ConfigError, match="BRIDGENOTE_X"):
        env.boolean("X", False)


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("0", False), ("TRUE", True)])
def test_boolean_accepts_common_spellings(monkeypatch, value, expected):
    monkeypatch.setenv("BRIDGENOTE_X", value)
    assert env.boolean("X", not expected) is expected


def test_integer_bounds(monkeypatch):
    monkeypatch.setenv("BRIDGENOTE_N", "0")
    with pytest.raises(ConfigError, match="minimum"):
        env.integer("N", 5, minimum=1)
    monkeypatch.setenv("BRIDGENOTE_N", "twelve")
    with pytest.raises(ConfigError, match="whole number"):
        env.integer("N", 5)


def test_file_variant_is_read(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("BRIDGENOTE_SECRET_FILE", str(secret))
    assert env.string("SECRET", "") == "s3cr3t"


def test_choice(monkeypatch):
    monkeypatch.setenv("BRIDGENOTE_C", "sms")
    with pytest.raises(ConfigError, match="one of"):
        env.choice("C", "console", {"console", "http"})
