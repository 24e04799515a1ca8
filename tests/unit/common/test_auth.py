from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from xueji_contracts.enums import Role

from services.common.auth import AuthenticationError, TokenVerifier, local_key_pair, mint_token


def test_a_minted_token_names_role_and_organisation(tmp_path: Path) -> None:
    private, public = local_key_pair(tmp_path)
    token = mint_token(private, Role.BUREAU_REGISTRAR, "110105")
    principal = TokenVerifier([public]).verify(token)
    assert (principal.role, principal.organisation_code) == (Role.BUREAU_REGISTRAR, "110105")


def test_the_local_key_pair_is_created_once(tmp_path: Path) -> None:
    assert local_key_pair(tmp_path) == local_key_pair(tmp_path)


def test_processes_starting_together_agree_on_one_local_key(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=6) as pool:  # every service of a local system at once
        pairs = set(pool.map(local_key_pair, [tmp_path / "keys"] * 6))
    assert pairs == {local_key_pair(tmp_path / "keys")}
    assert [f.name for f in (tmp_path / "keys").iterdir()] == ["private.pem"]  # no candidate left behind


def test_a_token_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    private, _ = local_key_pair(tmp_path / "a")
    _, other_public = local_key_pair(tmp_path / "b")
    with pytest.raises(AuthenticationError):
        TokenVerifier([other_public]).verify(mint_token(private, Role.ARBITER, "110000"))


def test_an_expired_token_is_refused(tmp_path: Path) -> None:
    private, public = local_key_pair(tmp_path)
    token = mint_token(private, Role.SCHOOL_REGISTRAR, "1101050001", ttl=timedelta(seconds=-1))
    with pytest.raises(AuthenticationError):
        TokenVerifier([public]).verify(token)


def test_any_configured_key_may_verify_during_rotation(tmp_path: Path) -> None:
    old_private, old_public = local_key_pair(tmp_path / "old")
    _, new_public = local_key_pair(tmp_path / "new")
    token = mint_token(old_private, Role.OPERATOR, "000000")
    assert TokenVerifier([new_public, old_public]).verify(token).role is Role.OPERATOR
