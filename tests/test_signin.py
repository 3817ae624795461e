"""The UI's sign-in (ownit/signin.py): exactly one mode, and a header that is
one address, sent once, through the proxy."""

from __future__ import annotations

import pytest

from ownit.errors import ConfigError, PermissionDenied
from ownit.signin import DEMO, HEADER, SECRET_HEADER, SignIn, configured, identity

H = "X-Forwarded-Email"


@pytest.mark.parametrize(("environ", "expected"), [
    ({"OWNIT_UI_DEMO": "1"}, SignIn(DEMO)),
    ({"OWNIT_AUTH_HEADER": H}, SignIn(HEADER, header=H)),
    ({"OWNIT_AUTH_HEADER": f" {H} ", "OWNIT_UI_DEMO": "0"}, SignIn(HEADER, header=H)),
    ({"OWNIT_AUTH_HEADER": H, "OWNIT_PROXY_SECRET": "s3cret"}, SignIn(HEADER, header=H, secret="s3cret")),
])
def test_one_mode_at_a_time(environ: dict[str, str], expected: SignIn) -> None:
    assert configured(environ) == expected


@pytest.mark.parametrize(("environ", "says"), [
    ({"OWNIT_UI_DEMO": "1", "OWNIT_AUTH_HEADER": H}, "both set"),
    ({}, "has no sign-in"),
    ({"OWNIT_UI_DEMO": "0", "OWNIT_AUTH_HEADER": ""}, "has no sign-in"),
    ({"OWNIT_AUTH_HEADER": "X-Email: evil"}, "not a header name"),
])
def test_both_modes_or_neither_is_one_line(environ: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says) as refused:
        configured(environ)
    assert "\n" not in str(refused.value)


def headers(**sent: list[str]):
    return lambda name: list(sent.get(name.lower().replace("-", "_"), []))


@pytest.mark.parametrize(("sent", "expected"), [
    (headers(x_forwarded_email=["Amira.Khan@Example.com"]), "amira.khan@example.com"),
    (headers(x_forwarded_email=[" amira.khan@example.com "]), "amira.khan@example.com"),
    (headers(), None),
    (headers(x_forwarded_email=[""]), None),
])
def test_the_header_names_who_signed_in(sent, expected) -> None:
    assert identity(SignIn(HEADER, header=H), sent) == expected


@pytest.mark.parametrize(("sent", "says"), [
    (headers(x_forwarded_email=["attacker@example.com", "amira.khan@example.com"]), "came 2 times"),
    (headers(x_forwarded_email=["attacker@example.com, amira.khan@example.com"]), "one email address"),
    (headers(x_forwarded_email=["not an address"]), "one email address"),
])
def test_an_ambiguous_header_is_refused(sent, says: str) -> None:
    with pytest.raises(PermissionDenied, match=says):
        identity(SignIn(HEADER, header=H), sent)


@pytest.mark.parametrize("secret", [[], ["wrong"], ["s3cret", "s3cret"]])
def test_a_request_without_the_proxys_secret_is_refused(secret: list[str]) -> None:
    sign_in = SignIn(HEADER, header=H, secret="s3cret")
    sent = headers(x_forwarded_email=["amira.khan@example.com"], x_ownit_proxy_secret=secret)
    with pytest.raises(PermissionDenied, match="not opened through the company's sign-in"):
        identity(sign_in, sent)
    assert identity(sign_in, headers(x_forwarded_email=["amira.khan@example.com"],
                                     x_ownit_proxy_secret=["s3cret"])) == "amira.khan@example.com"
    assert SECRET_HEADER.lower().replace("-", "_") == "x_ownit_proxy_secret"


@pytest.mark.parametrize(("environ", "says"), [
    ({"OWNIT_UI_DEMO": "1", "OWNIT_AUTH_HEADER": H}, "both set"),
    ({"OWNIT_UI_DEMO": None, "OWNIT_AUTH_HEADER": None}, "has no sign-in"),
])
def test_ownit_ui_refuses_to_start_without_one_clear_sign_in(tmp_path, environ, says: str) -> None:
    from typer.testing import CliRunner

    from ownit.cli import app

    result = CliRunner().invoke(app, ["ui", "--port", "1"], env={"OWNIT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                                                                  **environ})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and says in result.stderr


def test_ownit_demo_with_a_sign_in_header_configured_is_refused(tmp_path) -> None:
    from typer.testing import CliRunner

    from ownit.cli import app

    result = CliRunner().invoke(app, ["ui", "--demo", "--port", "1"],
                                env={"OWNIT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "OWNIT_AUTH_HEADER": H})
    assert result.exit_code == 1 and "both set" in result.stderr
