"""The rating page (``/rate?t=TOKEN``) through Streamlit's AppTest: it works
without signing in, once, and shows nothing else."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import AMIRA, resolved_leak
from test_rating import rating_token, ratings
from test_ui import app, rendered_text, shown  # noqa: F401  (app: the fixture)
from ownit import service


@pytest.fixture
def signed_out(app, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    """The app in production's sign-in mode, opened by someone the proxy did not sign in."""
    monkeypatch.setenv("OWNIT_UI_DEMO", "0")
    monkeypatch.setenv("OWNIT_AUTH_HEADER", "X-Forwarded-Email")
    monkeypatch.setenv("OWNIT_PROXY_SECRET", "only-the-proxy-knows")

    def opened(token: str | None) -> AppTest:
        at = app()
        if token is not None:
            at.query_params["t"] = token
        return at.run()

    return opened


def page_shows_nothing_else(at: AppTest) -> None:
    assert not at.exception
    assert len(at.selectbox) == 0 and len(at.sidebar.markdown) == 0 and len(at.sidebar.caption) == 0
    assert len(at.dataframe) == 0 and len(at.tabs) == 0


def test_a_link_rates_once_without_signing_in_and_not_twice(signed_out, ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    owner = service.show(desk, ref, actor=AMIRA)["owner"]["name"]
    token = rating_token(desk, ref)
    at = signed_out(token)
    page_shows_nothing_else(at)
    assert at.title[0].value == "How did we do?"
    assert f"{ref} · Roof leak" in shown(at)
    assert rendered_text(at.caption[0].value) == f"Owned by {owner}, Facilities North"
    [s for s in at.slider if s.label.startswith("How likely")][0].set_value(10)
    [s for s in at.slider if s.label.startswith("How easy")][0].set_value(1)
    at.text_input[0].input("Sorted the same day")
    at.button[0].click().run()
    page_shows_nothing_else(at)
    assert rendered_text(at.success[0].value) == f"Thank you: your rating of {ref} is with {owner} and the team."
    assert len(at.button) == 0 and len(at.slider) == 0  # asked once
    [rating] = ratings(desk)
    assert (rating.nps, rating.effort, rating.comment) == (10, 1, "Sorted the same day")

    again = signed_out(token)  # the link opened again, in another browser
    page_shows_nothing_else(again)
    assert [rendered_text(i.value) for i in again.info] == ["this link was already used on 23 Nov 2026; thank you"]
    assert len(again.button) == 0 and len(again.slider) == 0
    assert len(ratings(desk)) == 1


def test_a_form_sent_twice_records_once(signed_out, ownit_demo_org) -> None:
    """The form open in two browsers (or a second click before the page
    reran): the same answers sent again are thanked the same and add nothing;
    other answers are told the link was used (two at the same instant:
    tests/test_rating.py's concurrency test)."""
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    token = rating_token(desk, ref)
    first, same, other = signed_out(token), signed_out(token), signed_out(token)
    first.button[0].click().run()
    same.button[0].click().run()
    other.text_input[0].input("Something else")
    other.button[0].click().run()
    assert not same.exception and not other.exception
    assert rendered_text(same.success[0].value) == rendered_text(first.success[0].value)
    assert rendered_text(first.success[0].value).startswith(f"Thank you: your rating of {ref} is with")
    assert rendered_text(other.success[0].value) == "this link was already used on 23 Nov 2026; thank you"
    assert len(ratings(desk)) == 1 and ratings(desk)[0].comment == ""


@pytest.mark.parametrize("token", ["", "nonsense", "abc-def-ghi"])
def test_a_bad_link_is_one_line(signed_out, ownit_demo_org, token) -> None:
    at = signed_out(token)
    page_shows_nothing_else(at)
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert rendered_text(at.error[0].value) in ("this is not an OwnIt link or address",
                                                "this link or address was not made by OwnIt, or was changed")
    assert len(at.button) == 0 and len(at.markdown) == 0


def test_bad_input_is_refused_inline_and_the_link_still_works(signed_out, ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    at = signed_out(rating_token(desk, ref))
    at.text_input[0].input("bad \x07 bell")
    at.button[0].click().run()
    assert not at.exception
    assert rendered_text(at.error[0].value) == "the comment contains control characters; remove them"
    assert ratings(desk) == []
    at.text_input[0].input("fine")
    at.button[0].click().run()
    assert len(ratings(desk)) == 1 and at.success


def test_without_a_link_everything_still_needs_signing_in(signed_out, ownit_demo_org) -> None:
    at = signed_out(None)  # the app's address, no rating link, nobody signed in (nor the proxy's secret)
    assert not at.exception
    assert [rendered_text(e.value) for e in at.error] == [
        "this page was not opened through the company's sign-in; use OwnIt's usual address"]
    assert len(at.markdown) == 0 and len(at.button) == 0 and len(at.selectbox) == 0


def test_the_rating_page_cannot_be_left_for_another(signed_out, ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    at = signed_out(rating_token(desk, ref))
    for other in ("views/my_requests.py", "views/team.py", "views/inbox.py", "views/health.py"):
        with pytest.raises(ValueError, match=r"Known pages: \['OwnIt', '[^,]*/ui/views/rate\.py'\]"):
            at.switch_page(other)  # with a rating link, the rating page is the only page there is
    assert at.title[0].value == "How did we do?" and f"{ref} · Roof leak" in shown(at)


def test_in_the_app_a_request_rated_by_link_is_confirmed_without_asking_again(app, ownit_demo_org):  # noqa: F811
    desk = ownit_demo_org
    ref, _ = resolved_leak(desk)
    service.rate_by_link(desk, token=rating_token(desk, ref), nps=9, effort=2)
    at = app().run()
    assert not at.exception
    assert "Is it fixed? Thank you for rating it already." in shown(at)
    assert not [s for s in at.slider if s.label.startswith("How likely")]
    [b for b in at.button if b.label == "Confirm it is fixed"][0].click().run()
    assert not at.exception and service.show(desk, ref, actor=AMIRA)["status"] == "closed"
    assert len(ratings(desk)) == 1
