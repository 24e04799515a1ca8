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


def test_issuer_and_audience_are_the_services_settings(tmp_path: Path) -> None:
    private, public = local_key_pair(tmp_path)
    verifier = TokenVerifier([public], issuer="https://idp.example", audience="xueji-workflow")
    idp = "https://idp.example"
    token = mint_token(private, Role.ARBITER, "110000", issuer=idp, audience="xueji-workflow")
    assert verifier.verify(token).organisation_code == "110000"
    for issuer, audience in (("xueji", "xueji-workflow"), (idp, "xueji-evidence")):
        with pytest.raises(AuthenticationError):
            verifier.verify(mint_token(private, Role.ARBITER, "110000", issuer=issuer, audience=audience))


def test_a_token_living_longer_than_the_maximum_is_refused(tmp_path: Path) -> None:
    private, public = local_key_pair(tmp_path)
    verifier = TokenVerifier([public], max_lifetime=timedelta(hours=12))
    assert verifier.verify(mint_token(private, Role.OPERATOR, "000000", ttl=timedelta(hours=12)))
    with pytest.raises(AuthenticationError, match="longer"):
        verifier.verify(mint_token(private, Role.OPERATOR, "000000", ttl=timedelta(days=365 * 100)))


@pytest.mark.parametrize(("role", "org"), [
    (Role.SCHOOL_REGISTRAR, "110105"), (Role.SCHOOL_LEADER, "11010500011"),
    (Role.SCHOOL_REGISTRAR, "110105000X"), (Role.BUREAU_REGISTRAR, "1101050001"), (Role.ARBITER, "11000"),
    (Role.PROVINCE_SUBSCRIBER, "44000a"),
])
def test_the_organisation_must_have_the_shape_of_the_role(tmp_path: Path, role: Role, org: str) -> None:
    private, public = local_key_pair(tmp_path)
    with pytest.raises(AuthenticationError, match="shaped"):
        TokenVerifier([public]).verify(mint_token(private, role, org))


def test_keys_can_come_from_the_identity_providers_jwks_url(tmp_path: Path) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import jwt
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    private, public = local_key_pair(tmp_path)
    key = load_pem_public_key(public)
    assert isinstance(key, RSAPublicKey)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    token = jwt.encode({"sub": "u", "role": "arbiter", "org": "110000", "iss": "xueji", "aud": "xueji",
                        "iat": 1, "exp": 2**31}, private, algorithm="RS256", headers={"kid": "k1"})
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks"
        verifier = TokenVerifier([], jwks=jwt.PyJWKClient(url), max_lifetime=timedelta(days=365 * 100))
        assert verifier.fetches_keys
        assert verifier.verify(token).role is Role.ARBITER
    finally:
        server.shutdown()
