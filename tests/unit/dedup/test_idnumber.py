"""GB 11643 check digit, 15→18 conversion, normalisation and the local checks (DOMAIN §2, §3)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.dedup.domain.idnumber import (
    NotAnIdNumber,
    check_digit,
    check_raw_id_number,
    local_check,
    normalise_id_number,
    upgrade_fifteen,
)
from services.dedup.domain.regions import is_known_region, region_count

TODAY = date(2026, 11, 23)
VALID = "11010520120304001" + check_digit("11010520120304001")  # a boy born 2012-03-04 in 朝阳区
digits = st.text(alphabet="0123456789", min_size=17, max_size=17)


def test_the_check_digit_of_a_published_example() -> None:
    assert check_digit("11010519491231002") == "X"  # GB 11643-1999 annex example


@pytest.mark.parametrize("body", ["1101051949123100", "110105194912310021"])
def test_a_check_digit_is_only_of_seventeen_digits(body: str) -> None:
    with pytest.raises(ValueError, match="17 digits"):
        check_digit(body)


@given(digits)
def test_a_number_with_its_own_check_digit_passes_the_digit_check(body: str) -> None:
    assert check_digit(body) in "0123456789X"
    reasons = local_check(body + check_digit(body), 1, date(2000, 1, 1), TODAY)
    assert "check_digit" not in reasons


@given(digits, st.sampled_from("0123456789X"))
def test_any_other_final_character_fails_the_digit_check(body: str, last: str) -> None:
    if last != check_digit(body):
        assert "check_digit" in local_check(body + last, 1, date(2000, 1, 1), TODAY)


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_fifteen_digits_become_eighteen_with_the_century_and_a_valid_check_digit(old: str) -> None:
    new = upgrade_fifteen(old)
    assert len(new) == 18
    assert new[:6] == old[:6] and new[6:8] == "19" and new[8:17] == old[6:]
    assert new[17] == check_digit(new[:17])
    assert normalise_id_number(old) == new


@given(digits)
def test_normalising_is_idempotent_and_ignores_spaces_case_and_full_width(body: str) -> None:
    number = body + check_digit(body)
    messy = " " + number[:6] + "\u3000" + number[6:].lower() + " "
    assert normalise_id_number(messy) == number
    assert normalise_id_number(normalise_id_number(messy)) == number
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert normalise_id_number(full_width) == number


@pytest.mark.parametrize("raw", ["", "12345", "1101052012030400112", "11010520120304A01X"])
def test_text_that_cannot_be_an_id_number_is_refused(raw: str) -> None:
    with pytest.raises(NotAnIdNumber):
        normalise_id_number(raw)
    assert check_raw_id_number(raw, 1, date(2012, 3, 4), TODAY) == (None, ("format",))


def test_a_valid_number_passes_every_local_check() -> None:
    assert local_check(VALID, 1, date(2012, 3, 4), TODAY) == ()


def test_an_unknown_region_fails() -> None:
    body = "99010520120304001"
    assert "region" in local_check(body + check_digit(body), 1, date(2012, 3, 4), TODAY)


def test_an_abolished_region_is_accepted() -> None:
    assert is_known_region("110103")  # 崇文区, merged into 东城区 in 2010
    assert region_count() > 6000


def test_an_impossible_birth_date_fails() -> None:
    body = "11010520120230001"  # 30 February
    assert "birth_date" in local_check(body + check_digit(body), 1, date(2012, 3, 4), TODAY)
    future = "11010520300101001"
    assert "birth_date" in local_check(future + check_digit(future), 1, date(2030, 1, 1), TODAY)


def test_the_gender_digit_must_match_the_recorded_gender() -> None:
    assert local_check(VALID, 2, date(2012, 3, 4), TODAY) == ("gender_mismatch",)


def test_the_birth_date_in_the_number_must_match_the_recorded_one() -> None:
    assert local_check(VALID, 1, date(2012, 3, 5), TODAY) == ("birth_date_mismatch",)
