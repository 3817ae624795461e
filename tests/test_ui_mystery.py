"""Mystery requests in the browser (Streamlit's AppTest): the lead sets a
programme and plans one on the Mystery requests page; the store manager
agrees, and raises it from the raise page with the mystery chosen; while it
is worked its owner sees an ordinary request; once closed the manager
answers the form and sees the score, the owner sees the reveal on the card
and the page, and the lead the results and a note.

Facilities North (Helen Price leads; Sam Doyle and Priya Shah) serves the
north; Tom Hughes manages the York store."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from conftest import AMIRA, HELEN, OWEN, PRIYA, RAJ, SAM, TOM
from ownit import service
from test_mystery import SCENARIO, work_and_close
from test_ui import app, button, open_team_queue, rendered_text, shown  # noqa: F401  (fixtures)

TEAM = "facilities-north"


def mystery_page(app, user: str) -> AppTest:  # noqa: F811
    at = app(user).run()
    at.switch_page("views/mystery.py").run()
    assert not at.exception
    return at


def everything(at: AppTest) -> str:
    """All the page's main part holds (the sidebar has the demo's picker):
    every element's text, labels, options and table data (their protobufs as text)."""
    def walk(node: Any) -> list[str]:
        proto = getattr(node, "proto", None)
        return ([str(proto)] if proto is not None else []) + [
            text for child in getattr(node, "children", {}).values() for text in walk(child)]

    return "\n".join(walk(at.main))


def said(at: AppTest) -> list[str]:
    return [rendered_text(s.value) for s in at.success]


def errors(at: AppTest) -> list[str]:
    return [rendered_text(e.value) for e in at.error]


def widget(widgets: Any, label: str) -> Any:
    return next(w for w in widgets if rendered_text(w.label) == label)


def test_plan_raise_answer_and_reveal_through_the_pages(app, ownit_demo_org) -> None:
    desk = ownit_demo_org
    # the lead sets the programme: two types, Tom asked
    at = mystery_page(app, HELEN)
    assert "Your team's mystery requests" in [h.value for h in at.subheader]
    widget(at.number_input, "Mystery requests a month, at most").set_value(2)
    widget(at.multiselect, "Request types to test").set_value(["facilities.fixture", "facilities.leak"])
    shoppers = widget(at.multiselect, "Store managers to ask")
    # the north's store staff: not the team's own people, not Bristol's manager (the south, not served)
    assert shoppers.options == ["Amira Khan (S001)", "Isla Fraser (S003)", "Noah Clarke (S001)", "Tom Hughes (S002)"]
    shoppers.set_value([TOM])
    button(at, "Save the programme").click().run()
    assert not at.exception and said(at) == ["Facilities North: up to 2 mystery requests a month"]
    found = service.mystery_programme(desk, actor=HELEN, team=TEAM)
    assert found["request_types"] == ["facilities.fixture", "facilities.leak"]
    assert [(s["name"], s["agreed"]) for s in found["shoppers"]] == [("Tom Hughes", None)]
    assert any("No store manager has agreed yet" in rendered_text(i.value) for i in at.info)

    # a member of the team sees no lead's part; a store manager not asked sees one line
    for who in (SAM, AMIRA):
        other = mystery_page(app, who)
        assert not other.subheader and not other.button and not other.dataframe
        assert [rendered_text(i.value) for i in other.info][-1].endswith("Nothing here is yours yet.")

    # Tom agrees
    at = mystery_page(app, TOM)
    assert "Helen Price asks you to raise mystery requests for Facilities North" in shown(at)
    button(at, "I'll take part").click().run()
    assert not at.exception and said(at)[0].startswith("Thank you: you raise Facilities North's mystery requests")
    assert [b.label for b in at.button] == ["Withdraw"]

    # the lead plans one: a fixture, Tom raises it; an empty scenario first, refused in one line
    at = mystery_page(app, HELEN)
    button(at, "Plan it").click().run()
    assert not at.exception and errors(at) == ["the scenario is empty; write a few words"]
    widget(at.text_area, "The scenario the store manager raises").input(SCENARIO)
    widget(at.selectbox, "Request type").set_value("facilities.fixture")
    button(at, "Plan it").click().run()
    assert not at.exception and not at.error
    mystery_id = service.my_mysteries(desk, actor=TOM)["to_raise"][0]["id"]
    assert said(at) == [f"Mystery request {mystery_id} planned: Tom Hughes raises it by 2026-12-07"]
    assert [m["stage"] for m in service.mystery_programme(desk, actor=HELEN, team=TEAM)["mysteries"]] == ["to raise"]

    # nobody else's raise page has a trace of it; Tom's offers the choice, none chosen
    amira = app(AMIRA).run()
    amira.switch_page("views/raise_request.py").run()
    assert "mystery" not in everything(amira).lower()
    at = app(TOM).run()
    at.switch_page("views/raise_request.py").run()
    assert widget(at.selectbox, "Raising a mystery request?").value is None
    # from the Mystery requests page: the raise page with this mystery chosen, and its type
    at = mystery_page(app, TOM)
    assert f"Mystery request {mystery_id} for Facilities North · Broken fixture or fitting · raise by 2026-12-07" \
        in shown(at) and SCENARIO in shown(at)
    button(at, "Raise it").click().run()
    assert not at.exception and at.title[0].value == "Raise a request"
    assert widget(at.selectbox, "Raising a mystery request?").value == mystery_id
    assert widget(at.selectbox, "What do you need?").value["key"] == "facilities.fixture"
    at.switch_page("views/raise_request.py")  # AppTest reruns the page the test last chose; a browser stays put
    widget(at.text_input, "In one line").input("Back shutter sticks")
    widget(at.text_input, "What is broken?").input("the back shutter")
    widget(at.radio, "Could someone get hurt? (optional)").set_value("no")
    button(at, "Raise it").click().run()
    assert not at.exception and not at.error
    view = service.my_requests(desk, actor=TOM)[0]
    ref, owner = view["ref"], view["owner"]["email"]
    assert said(at) == [f"{ref} raised. {view['owner']['name']} owns it."]
    line = service.mystery_programme(desk, actor=HELEN, team=TEAM)["mysteries"][0]
    assert (line["stage"], line["ref"], line["owner"]) == ("being worked", None, None)

    # being worked: its owner's card, queue and Mystery requests page show an ordinary request
    at = open_team_queue(app, owner)
    assert ref in shown(at) and "mystery" not in everything(at).lower()
    at = mystery_page(app, owner)
    assert ref not in everything(at) and not at.subheader
    at = mystery_page(app, HELEN)  # the lead's list names no ref and no owner while it is open
    assert ref not in everything(at) and "being worked" in everything(at)

    # closed: Tom answers the form, a question left out first
    work_and_close(desk, ref, owner)
    at = mystery_page(app, TOM)
    assert f"{ref} · Back shutter sticks — mystery request {mystery_id} for Facilities North · closed: the form " \
           "below" in shown(at)
    button(at, "Send my answers").click().run()
    assert not at.exception and errors(at) == ["answer yes or no to 'Were you told who owns it?'"]
    questions = service.my_mysteries(desk, actor=TOM)["questions"]
    for question in questions:
        widget(at.radio, question["question"]).set_value("no" if question["key"] == "told_part" else "yes")
    widget(at.slider, "How likely are you to recommend this team to a colleague? (0–10)").set_value(9)
    widget(at.text_area, "Anything else the lead should know? (optional)").input("Quick and kind")
    button(at, "Send my answers").click().run()
    assert not at.exception and not at.error
    scored = service.show(desk, ref, actor=TOM)["mystery"]
    assert scored is not None and said(at) == [f"{ref}: thank you. It scored {scored['score']:g} out of 100"]
    assert f"scored {scored['score']:g} out of 100" in shown(at) and not [b for b in at.button
                                                                        if b.label == "Send my answers"]

    # the owner: the reveal on the card (opened from its link) and on the page
    at = open_team_queue(app, owner)
    at.query_params["ref"] = ref
    at.run()
    assert not at.exception
    text = shown(at)
    assert f"This was a mystery request — it scored {scored['score']:g} out of 100" in text
    assert "Were you told what your part was? :orange[no]" in text and "NPS 0-10: 9" in text
    assert "stage dates kept: :green[met]" in text
    assert "each hand-off with a note: :gray[nothing to measure]" in text
    at = mystery_page(app, owner)
    assert [h.value for h in at.subheader] == ["Your requests that were mystery requests"]
    assert f"{ref} · Back shutter sticks — Facilities North" in shown(at)

    # the lead: results and a note to the owner, which the owner then reads
    desk.clock.advance(minutes=1)  # results count what was scored before now
    at = mystery_page(app, HELEN)
    assert "Results" in [h.value for h in at.subheader]
    assert "1 mystery request scored between" in rendered_text(" ".join(c.value for c in at.caption))
    charts = at.get("vega_lite_chart")  # each owner's mean score, month by month
    assert len(charts) == 1 and "mean score" in charts[0].proto.spec and '"owner"' in charts[0].proto.spec
    tables = [d.value for d in at.dataframe]
    assert list(tables[-2]["owner"]) == [view["owner"]["name"]] and list(tables[-2]["mean"]) == [scored["score"]]
    beside = tables[-1].set_index("figure")
    assert beside.loc["first contact kept", "mystery requests"] == "100%"
    assert beside.loc["first contact kept", "service health"] == "—"  # nothing ordinary was worked
    widget(at.text_area, "Your note (the owner reads it with the score)").input("Great first call; say their part")
    button(at, "Send the note").click().run()
    assert not at.exception and said(at) == [f"{ref}: your note is with {view['owner']['name']}"]
    at = mystery_page(app, owner)
    assert any("Helen Price's note: Great first call; say their part" in rendered_text(i.value) for i in at.info)


def test_a_wide_spread_between_owners_is_said_plainly(app, ownit_demo_org) -> None:
    """Two owners, one scored high and one low: the lead reads that the
    service depends on who owns it."""
    from test_mystery import answer, planned, raise_it

    desk = ownit_demo_org
    first = planned(desk)
    second = service.plan_mystery(desk, actor=HELEN, team=TEAM, scenario="The fire door will not close")["planned"]
    owners = []
    for mystery_id, title in ((first, "Leak A"), (second, "Leak B")):
        view = raise_it(desk, mystery_id, title=title)
        owners.append(view["owner"]["email"])
        if len(owners) == 2 and owners[0] == owners[1]:  # the same owner twice: hand the second on
            other = PRIYA if owners[0] == SAM else SAM
            service.hand_off(desk, view["ref"], actor=owners[0], to=other, note="Over to you: the fire door")
            owners[1] = other
        if mystery_id == first:
            work_and_close(desk, view["ref"], view["owner"]["email"])
            answer(desk, mystery_id, nps=10, effort=1)
        else:  # contacted days late, resolved late, a poor form
            desk.clock.advance(days=3)
            service.contact(desk, view["ref"], actor=owners[1], note="Sorry, only now")
            desk.clock.advance(days=20)
            service.resolve(desk, view["ref"], actor=owners[1], note="Done at last")
            service.confirm(desk, view["ref"], actor=TOM, nps=1, effort=7)
            answer(desk, mystery_id, nps=0, effort=7, **{k: "no" for k in ("told_owner", "told_goal", "told_how",
                                                                          "heard_why", "fought_corner")})
    desk.clock.advance(minutes=1)
    found = service.mystery_results(desk, actor=HELEN, team=TEAM)
    assert len(found["owners"]) == 2 and found["spread"]["wide"]
    at = mystery_page(app, HELEN)
    warned = [rendered_text(w.value) for w in at.warning]
    assert len(warned) == 1 and warned[0].startswith(f"Wide spread: {found['spread']['gap']:g} points between the "
                                                     "owners' means")
    assert "depends on who owns it" in warned[0]


def test_an_admin_picks_the_team_and_another_lead_sees_only_their_own(app, ownit_demo_org, tmp_path) -> None:
    from ownit.org import load_org

    desk = ownit_demo_org
    service.set_mystery_programme(desk, actor=HELEN, team=TEAM, per_month=2, request_types=["facilities.leak"],
                                  shoppers=[TOM])
    admin = tmp_path / "admin.toml"
    admin.write_text(f'[[person]]\nemail = "{RAJ}"\nname = "Raj Patel"\nsite = "HQ"\nroles = ["lead", "admin"]\n',
                     encoding="utf-8")
    load_org(desk, admin)
    at = mystery_page(app, RAJ)
    teams = widget(at.selectbox, "Team")
    assert "Facilities North" in teams.options and "IT Service Desk" in teams.options
    teams.set_value(next(t for t in service.memberships(desk, actor=RAJ) if t["key"] == TEAM)).run()
    assert not at.exception
    assert "Up to 2 a month (Water leak or roof), raised by Tom Hughes (asked)" in \
        [rendered_text(c.value) for c in at.caption]
    # the south's lead: their own team only, with nothing set up yet
    at = mystery_page(app, OWEN)
    assert not [s for s in at.selectbox if s.label == "Team"]
    assert [e.label for e in at.expander] == ["Set up the programme"] and "Tom Hughes" not in everything(at)
