"""Password rules per role."""

from __future__ import annotations

import pytest

from schulhof.domain.model import Role
from schulhof.domain.password_policy import (
    DEFAULT,
    PRIMARY_CHILD,
    STAFF,
    PasswordCheck,
    PasswordRejected,
    check_new_password,
    policy_for,
)


def test_the_strictest_role_decides() -> None:
    assert policy_for([Role.STUDENT], primary_child=True) is PRIMARY_CHILD
    assert policy_for([Role.STUDENT], primary_child=False) is DEFAULT
    assert policy_for([Role.STUDENT, Role.TEACHER], primary_child=True) is STAFF
    assert policy_for([Role.GUARDIAN], primary_child=False) is DEFAULT
    assert policy_for([Role.SCHOOL_ADMIN], primary_child=False) is STAFF


@pytest.mark.parametrize(
    ("policy", "password", "code"),
    [
        (STAFF, "kurz-1234", "too_short"),
        (DEFAULT, "abcdefghij", "too_simple"),  # one kind of character, short
        (DEFAULT, "aaaaaaaaaaaaaaaaaaaa", "too_simple"),  # long but one character
        (DEFAULT, "x" * 300, "too_long"),
        (DEFAULT, "Özdemir-2025!", "contains_name"),
        (DEFAULT, "zeynep.oz-99", "contains_name"),
        (PRIMARY_CHILD, "ab1", "too_short"),
    ],
)
def test_rejections_name_their_reason(policy: object, password: str, code: str) -> None:
    check = PasswordCheck(policy, "zeynep.oz", ("Zeynep", "Özdemir"))  # type: ignore[arg-type]
    with pytest.raises(PasswordRejected) as err:
        check_new_password(check, password)
    assert err.value.code == code
    assert err.value.field == "new_password"


def test_good_passwords_pass_and_a_child_may_use_six_letters() -> None:
    check_new_password(PasswordCheck(STAFF, "j.meier", ("Jana", "Meier")), "Tafel-Kreide-42")
    check_new_password(PasswordCheck(DEFAULT, "j.meier"), "sonnenblumenfeld")  # 16+: no mix
    with pytest.raises(PasswordRejected):
        check_new_password(PasswordCheck(PRIMARY_CHILD, "mia.k"), "hase")  # 4 < 6
    check_new_password(PasswordCheck(PRIMARY_CHILD, "mia.k"), "hasenbau")
    with pytest.raises(PasswordRejected) as err:
        check_new_password(PasswordCheck(DEFAULT, "x"), "same-as-b4!", old="same-as-b4!")
    assert err.value.code == "unchanged"
