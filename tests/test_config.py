import pytest

from plinth.config import ensure_secret_key, load_config
from plinth.errors import ConfigError


def test_defaults_put_everything_in_the_instance_folder(tmp_path):
    config = load_config({"INSTANCE_DIR": str(tmp_path)}, environ={})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'plinth.db'}"
    assert config["STORAGE_DIR"] == str(tmp_path / "files")
    assert config["REDIS_URL"] is None
    assert config.source("DATABASE_URL") == "default"


def test_environment_overrides_file_and_overrides_win(tmp_path):
    (tmp_path / "plinth.toml").write_text('log_level = "DEBUG"\nmax_upload_mb = 7\n')
    env = {"PLINTH_INSTANCE_DIR": str(tmp_path), "PLINTH_MAX_UPLOAD_MB": "9"}
    config = load_config({}, environ=env)
    assert config["LOG_LEVEL"] == "DEBUG" and config.source("LOG_LEVEL").startswith("file")
    assert config["MAX_UPLOAD_MB"] == 9 and config.source("MAX_UPLOAD_MB") == "environment"
    config = load_config({"MAX_UPLOAD_MB": 3}, environ=env)
    assert config["MAX_UPLOAD_MB"] == 3 and config.source("MAX_UPLOAD_MB") == "override"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOPE": 1}, "unknown setting"),
        ({"MAX_UPLOAD_MB": "lots"}, "PLINTH_MAX_UPLOAD_MB"),
        ({"MAX_UPLOAD_MB": 0}, "at least 1"),
        ({"TESTING": "maybe"}, "boolean"),
    ],
)
def test_bad_settings_are_refused_with_their_name(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config({"INSTANCE_DIR": str(tmp_path), **overrides}, environ={})


def test_unknown_key_in_config_file_is_refused(tmp_path):
    (tmp_path / "plinth.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="colour"):
        load_config({"INSTANCE_DIR": str(tmp_path)}, environ={})


def test_secret_key_is_generated_once_and_kept(tmp_path):
    config = load_config({"INSTANCE_DIR": str(tmp_path)}, environ={})
    first = ensure_secret_key(config)
    assert len(first) > 40
    assert ensure_secret_key(config) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_describe_masks_secrets(tmp_path):
    config = load_config(
        {
            "INSTANCE_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql://u:pw@h/db",
            "SECRET_KEY": "s3",
        },
        environ={},
    )
    rows = {r["name"]: r for r in config.describe()}
    assert rows["PLINTH_DATABASE_URL"]["value"] == "postgresql://u:***@h/db"
    assert rows["PLINTH_SECRET_KEY"]["value"] == "***"
