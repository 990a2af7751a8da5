"""Settings: file, environment and flags, and errors that name the fix."""

from __future__ import annotations

import pytest

from ghostsync.config import load_settings
from ghostsync.errors import ConfigError


def config(tmp_path, text: str):
    (tmp_path / "ghostsync.toml").write_text(text)
    return tmp_path


def test_environment_url_overrides_the_file(tmp_path):
    root = config(tmp_path, '[site]\nurl = "https://file.example.com/"\n')

    settings = load_settings(root, environ={"GHOST_URL": "https://env.example.com/"})

    assert settings.url == "https://env.example.com/"


def test_flag_url_overrides_the_environment(tmp_path):
    root = config(tmp_path, '[site]\nurl = "https://file.example.com/"\n')

    settings = load_settings(
        root, url="https://flag.example.com/", environ={"GHOST_URL": "https://e/"}
    )

    assert settings.url == "https://flag.example.com/"


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ('[site]\nurll = "x"\n', "site.url"),
        (
            '[site]\nurl = "https://e/"\n[defaults]\nbody_fromat = "html"\n',
            "defaults.body_format",
        ),
        ('[sit]\nurl = "x"\n', "site"),
    ],
)
def test_unknown_key_names_the_nearest_valid_one(tmp_path, text, suggestion):
    root = config(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_settings(root, environ={})

    assert suggestion in caught.value.hint


def test_named_site_is_chosen_with_its_own_key_variable(tmp_path):
    root = config(
        tmp_path,
        '[site]\nurl = "https://main.example.com/"\n'
        '[sites.staging]\nurl = "https://staging.example.com/"\n'
        'key_env = "STAGING_KEY"\n',
    )

    settings = load_settings(root, site="staging", environ={"STAGING_KEY": "k"})

    assert settings.url == "https://staging.example.com/"
    assert settings.key() == "k"


def test_missing_key_says_which_variable(tmp_path):
    root = config(tmp_path, '[site]\nurl = "https://e.example.com/"\n')

    with pytest.raises(ConfigError, match="GHOST_ADMIN_API_KEY"):
        load_settings(root, environ={}).key()


def test_key_file_may_be_an_env_file(tmp_path):
    key_file = tmp_path / "outside.env"
    key_file.write_text("GHOST_URL=http://127.0.0.1:1\nGHOST_ADMIN_API_KEY=abc:def\n")
    root = config(
        tmp_path / "p" if (tmp_path / "p").mkdir() is None else tmp_path,
        f'[site]\nurl = "https://e.example.com/"\nkey_file = "{key_file}"\n',
    )

    assert load_settings(root, environ={}).key() == "abc:def"


def test_bad_body_format_is_an_error(tmp_path):
    root = config(
        tmp_path, '[site]\nurl = "https://e/"\n[defaults]\nbody_format = "rst"\n'
    )

    with pytest.raises(ConfigError, match="body_format"):
        load_settings(root, environ={})


@pytest.mark.parametrize(
    "text",
    [
        "[site]\nurl = 12\n",
        '[site]\nurl = "https://e/"\n[content]\nexclude = "README.md"\n',
        '[site]\nurl = "https://e/"\n[content]\nposts = ["a"]\n',
        '[site]\nurl = "https://e/"\n[defaults]\ntags = "News"\n',
        '[site]\nurl = "https://e/"\n[push]\nmax_delete = true\n',
        '[site]\nurl = "https://e/"\n[backups]\nkeep = "10"\n',
    ],
)
def test_wrong_types_are_config_errors(tmp_path, text):
    root = config(tmp_path, text)

    with pytest.raises(ConfigError, match="in ghostsync.toml is") as caught:
        load_settings(root, environ={})

    assert caught.value.hint.startswith("it must be")


def test_backup_retention_keys(tmp_path):
    root = config(
        tmp_path, '[site]\nurl = "https://e/"\n[backups]\nkeep = 3\nkeep_days = 7\n'
    )

    settings = load_settings(root, environ={})

    assert (settings.backups_keep, settings.backups_keep_days) == (3, 7)
    config(tmp_path, '[site]\nurl = "https://e/"\n[backups]\nkeep = 0\n')
    with pytest.raises(ConfigError, match="backups.keep"):
        load_settings(root, environ={})
