import pytest

from server.core.security.passwords import Passwords, password_problems
from server.tests.support.settings import SettingsFactory


def test_a_hash_verifies_only_its_password(make_settings: SettingsFactory) -> None:
    passwords = Passwords(make_settings())
    stored = passwords.hash("Correct-horse-9")
    assert stored.startswith("$argon2id$")
    assert passwords.verify("Correct-horse-9", stored) == (True, None)
    assert passwords.verify("correct-horse-9", stored)[0] is False


def test_a_hash_with_old_parameters_is_upgraded_on_login(make_settings: SettingsFactory) -> None:
    old = Passwords(make_settings(argon2_time_cost=1)).hash("Correct-horse-9")
    ok, upgraded = Passwords(make_settings(argon2_time_cost=2)).verify("Correct-horse-9", old)
    assert ok
    assert upgraded is not None
    assert "t=2" in upgraded


def test_an_unknown_account_and_a_broken_hash_fail_without_raising(
    make_settings: SettingsFactory,
) -> None:
    passwords = Passwords(make_settings())
    assert passwords.verify("anything", None) == (False, None)
    assert passwords.verify("anything", "not-a-hash") == (False, None)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short-1", "at least 12 characters"),
        ("alllowercaseletters", "at least 3 of"),
        ("x" * 200 + "A1", "at most 128 characters"),
    ],
)
def test_the_policy_names_what_is_wrong(
    make_settings: SettingsFactory, password: str, problem: str
) -> None:
    assert any(problem in p for p in password_problems(password, make_settings()))


def test_a_good_password_passes_the_policy(make_settings: SettingsFactory) -> None:
    assert password_problems("Tr0ub4dor&3-long", make_settings()) == []
    assert password_problems("ünïcödé-pässwörd-9", make_settings()) == []
