import logging
from pathlib import Path

from adapters.cli import adapter_problems
from bot.config import Config, check_config, load_config, secret, secret_values


def test_environment_overrides_the_toml_file(tmp_path) -> None:
    file = tmp_path / "samskap.toml"
    file.write_text('language = "en"\nfollow_up_days = 10\n[digest]\nday = "mon"\n', encoding="utf-8")
    cfg = load_config(file, env={"SAMSKAP_FOLLOW_UP_DAYS": "21"})
    assert cfg.language == "en" and cfg.follow_up_days == 21 and cfg.section("digest") == {"day": "mon"}


def test_config_check_reports_problems_in_plain_words() -> None:
    cfg = Config(language="fr", timezone="Mars/Olympus", adapter="slack", follow_up_days=0)
    problems = check_config(cfg, env={}) + adapter_problems(cfg, env={})
    text = "\n".join(problems)
    assert "Language 'fr'" in text and "Mars/Olympus" in text and "SLACK_BOT_TOKEN" in text
    assert "follow_up_days" in text
    assert check_config(Config(), env={}) == []


def test_secrets_come_from_files_and_never_print(tmp_path, caplog) -> None:
    path = tmp_path / "token"
    path.write_text("xoxb-secret-value\n", encoding="utf-8")
    token = secret("SLACK_BOT_TOKEN", {"SLACK_BOT_TOKEN_FILE": str(path)})
    assert token.get() == "xoxb-secret-value"
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("token is %s", token)
    assert "xoxb-secret-value" not in caplog.text and "xoxb-secret-value" not in repr(token)


def test_the_example_configuration_has_only_known_sections_and_keys() -> None:
    example = Path(__file__).parent.parent / "deploy" / "samskap.example.toml"
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert check_config(load_config(example, env={}), env=env) == []


def test_every_configured_secret_is_known_to_the_log_formatter(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "token"
    path.write_text("discord-token-from-a-file\n", encoding="utf-8")
    env = {"DISCORD_BOT_TOKEN_FILE": str(path), "SLACK_SIGNING_SECRET": "signing",
           "SAMSKAP_SECRET_KEY": "key-one, key-two", "SAMSKAP_DATABASE_URL": "postgresql://u:pgpass@h/db"}  # fmt: skip
    assert set(secret_values(env)) == {"discord-token-from-a-file", "signing", "key-one, key-two", "key-one",
                                       "key-two", "pgpass"}  # fmt: skip
