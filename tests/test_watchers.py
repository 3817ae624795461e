"""Deputies and watchers: who hears what the requester hears, and sees what
they see; and each person's notification settings (the service, the command
line and the UI's Settings page), on SQLite and PostgreSQL.

The demo organisation names Noah Clarke (assistant store manager) a deputy
of S001, Amira Khan's store."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from conftest import AMIRA, GRACE, HELEN, LEAK, NADIA, NOAH, TOM, look, units_sent
from ownit import service
from ownit.errors import Conflict, ConfigError, NotFound, PermissionDenied, ValidationError
from ownit.models import Person, Site
from ownit.store import unit as store
from ownit.store import requests, watchers
from ownit.testing import load_org_text
from test_cli import Cli, one_error_line
from test_contacts import Channel, desk_with
from test_ui import APP, app, rendered_text, shown, unfold  # noqa: F401  (app: the AppTest fixture)

HR_CASE = {"about": "conduct", "at_risk": "no", "summary": "On the late shift"}
S001 = ('[[site]]\ncode = "S001"\nname = "High Street, Leeds"\nregion = "north"\ntimezone = "Europe/London"\n'
        'country = "GB"\nsubdivision = "ENG"\n')


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def raise_leak(desk: Any, actor: str = AMIRA, **kwargs: Any) -> dict[str, Any]:
    return service.raise_request(desk, actor=actor, request_type="facilities.leak", title="Roof leak", fields=LEAK,
                                 **kwargs)


def heard(desk: Any, email: str, ref: str) -> list[dict[str, Any]]:
    """What ``email`` was told about ``ref``, oldest first."""
    return [n for n in reversed(service.inbox(desk, actor=email)) if n["ref"] == ref]


def kinds(notes: list[dict[str, Any]]) -> list[str]:
    return [n["kind"] for n in notes]


def test_every_requester_notice_goes_through_the_one_audience() -> None:
    """No code path tells the requester directly, so none forgets the watchers and deputies."""
    core = Path(service.__file__).parent.parent
    direct = [f"{path.relative_to(core)}:{number}" for path in sorted(core.rglob("*.py")) if path.name != "audience.py"
              for number, line in enumerate(path.read_text().splitlines(), 1)
              if "outbox.put(" in line and "requester" in line]
    assert direct == [], "tell the requester through ownit.service.audience.tell_requester"


# --- watchers ------------------------------------------------------------------------------------


def test_a_watcher_hears_what_the_requester_hears_and_never_an_internal_note(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    added = service.watch(desk, ref, actor=AMIRA, add=TOM)
    assert added["changed"] and [w["email"] for w in added["watchers"]] == [TOM]
    assert added["timeline"][-1]["note"] == "Amira Khan added Tom Hughes as a watcher"
    assert added["timeline"][-1]["kind"] == "watcher_added"
    service.contact(desk, ref, actor=owner, note="On my way")
    service.add_note(desk, ref, actor=owner, note="between us: the roofer is pricey", internal=True)
    service.add_note(desk, ref, actor=owner, note="The roofer comes at 9")
    service.check_in(desk, ref, actor=owner, note="Roofer booked")
    service.advance(desk, ref, actor=owner, note="Assessed")
    service.wait_on_requester(desk, ref, actor=owner, note="A photo, please")
    service.resume(desk, ref, actor=AMIRA, note="Photo sent")
    service.resolve(desk, ref, actor=owner, note="Patched")

    told_amira = kinds(heard(desk, AMIRA, ref))
    told_tom = heard(desk, TOM, ref)
    assert told_amira == ["raised", "contacted", "note", "checkin", "stage", "waiting", "resolved"]
    assert kinds(told_tom) == ["watching", *told_amira[1:]]  # from when he was added on
    assert all(n["data"]["following"] == "Amira Khan" for n in told_tom[1:])
    assert told_tom[1]["message"].endswith("(you follow this request of Amira Khan's)")
    assert not any("between us" in n["message"] for n in told_tom)
    assert all("following" not in n["data"] for n in heard(desk, AMIRA, ref))  # hers are hers

    seen = service.show(desk, ref, actor=TOM)
    assert not any(e["internal"] for e in seen["timeline"])
    assert "between us" not in str(seen)
    assert seen["viewer"] == {"email": TOM, "requester": False, "works_it": False, "staff": False,
                              "watching": True, "manages_watchers": False}
    before = service.show(desk, ref, actor=AMIRA)
    for refused in (lambda: service.confirm(desk, ref, actor=TOM, nps=10),
                    lambda: service.reopen(desk, ref, actor=TOM, note="not fixed"),
                    lambda: service.add_note(desk, ref, actor=TOM, note="me too")):
        with pytest.raises(PermissionDenied):
            refused()
    assert service.show(desk, ref, actor=AMIRA)["version"] == before["version"]
    assert [v["ref"] for v in service.following(desk, actor=TOM)] == [ref]
    assert service.following(desk, actor=AMIRA) == []


def test_a_check_in_reads_the_watchers_once_to_tell_them_and_show_them(ownit_demo_org, monkeypatch) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.watch(desk, ref, actor=AMIRA, add=TOM)
    service.contact(desk, ref, actor=owner, note="On my way")
    units = units_sent(monkeypatch)
    checked = service.check_in(desk, ref, actor=owner, note="Roofer booked")
    read = watchers._OF.compiled(desk.connections.dialect).sql
    assert [unit.count(read) for unit in units] == [1] + [0] * (len(units) - 1)  # the action's unit, then deliveries'
    assert [w["email"] for w in checked["watchers"]] == [TOM]
    assert kinds(heard(desk, TOM, ref))[-1] == "checkin"


def test_a_unit_that_changes_the_watchers_reads_them_again(ownit_demo_org) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    org = desk.directory
    tom, noah = org.person(TOM).id, org.person(NOAH).id

    def work(u: store.Unit) -> list[list[int]]:
        request_id = requests.by_ref(u, view["ref"]).id
        seen = [watchers.of(u, request_id)]
        watchers.add(u, request_id, tom, by=tom)
        seen.append(watchers.of(u, request_id))
        watchers.join(u, request_id, noah)
        seen.append(watchers.of(u, request_id))
        watchers.remove(u, request_id, tom)
        seen.append(watchers.of(u, request_id))
        seen[-1].append(0)  # a copy: the next read is not changed by it
        seen.append(watchers.of(u, request_id))
        return seen

    assert store.run(desk, work) == [[], [tom], [tom, noah], [noah, 0], [noah]]


def test_sweep_and_absence_notices_reach_watchers_once(ownit_demo_org) -> None:
    desk, clock = ownit_demo_org, ownit_demo_org.clock
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.watch(desk, ref, actor=HELEN, add=TOM)  # the lead may add one too
    clock.set(utc(23, 16, 5))
    assert [r["ref"] for r in service.sweep(desk)["escalated"]] == [ref]
    service.sweep(desk)  # again: nothing twice
    assert kinds(heard(desk, TOM, ref)).count("escalated") == kinds(heard(desk, AMIRA, ref)).count("escalated") == 1

    service.set_away(desk, actor=owner, email=owner, start=date(2026, 11, 23), until=date(2026, 11, 27))
    new_owner = service.show(desk, ref, actor=AMIRA)["owner"]["name"]
    assert heard(desk, TOM, ref)[-1]["message"].startswith(f"{ref}: {new_owner} now owns your request while")
    assert kinds(heard(desk, AMIRA, ref))[-1] == kinds(heard(desk, TOM, ref))[-1] == "handoff"

    current = service.show(desk, ref, actor=AMIRA)["owner"]["email"]
    service.contact(desk, ref, actor=current, note="Hello")
    service.resolve(desk, ref, actor=current, note="Fixed")
    clock.set(utc(30, 18))  # five business days on: closed quietly
    assert [c["ref"] for c in service.sweep(desk)["closed"]] == [ref]
    assert kinds(heard(desk, TOM, ref))[-1] == kinds(heard(desk, AMIRA, ref))[-1] == "closed"


def test_adding_a_watcher_twice_changes_nothing_and_removing_is_the_same(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref = raise_leak(desk)["ref"]
    first = service.watch(desk, ref, actor=AMIRA, add=TOM)
    again = service.watch(desk, ref, actor=AMIRA, add=TOM.upper())
    assert (first["changed"], again["changed"]) == (True, False)
    assert again["version"] == first["version"] and again["timeline"] == first["timeline"]
    assert kinds(heard(desk, TOM, ref)) == ["watching"]
    gone = service.watch(desk, ref, actor=TOM, remove=TOM)  # a watcher may take themself off
    assert gone["changed"] and gone["watchers"] == [] and gone["timeline"][-1]["note"] == "Tom Hughes stopped watching"
    assert not service.watch(desk, ref, actor=AMIRA, remove=TOM)["changed"]
    with pytest.raises(NotFound):  # no longer a watcher: no longer shown it
        service.show(desk, ref, actor=TOM)
    events = [e["kind"] for e in service.show(desk, ref, actor=AMIRA)["timeline"]]
    assert events.count("watcher_added") == events.count("watcher_removed") == 1


@pytest.mark.parametrize(("who", "change", "refused", "says"), [
    (NOAH, {"add": GRACE}, PermissionDenied,
     "only the person who raised it, the owner ({owner}) or the lead of Facilities North can add watchers of {ref}"),
    (TOM, {"remove": GRACE}, PermissionDenied,
     "only the person who raised it, the owner ({owner}) or the lead of Facilities North can remove watchers of "
     "{ref}; a watcher can remove only themself"),
    (GRACE, {"add": TOM}, NotFound, "no request '{ref}'; check the ref (like FAC-1001) with 'ownit queue'"),
    (AMIRA, {"add": AMIRA}, ValidationError, "Amira Khan raised {ref} and hears everything about it already"),
    (AMIRA, {"add": "nobody@example.com"}, NotFound,
     "nobody@example.com is not registered in OwnIt; ask your lead to add you to the org file"),
    (AMIRA, {}, ValidationError, "say whom to add (--add EMAIL) or remove (--remove EMAIL), one at a time"),
])
def test_who_may_not_change_watchers_is_told_in_one_line_and_nothing_changes(
        ownit_demo_org, who: str, change: dict[str, str], refused: type, says: str) -> None:
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref = view["ref"]
    service.watch(desk, ref, actor=AMIRA, add=TOM)
    before = service.show(desk, ref, actor=AMIRA)
    with pytest.raises(refused) as caught:
        service.watch(desk, ref, actor=who, **change)
    assert str(caught.value) == says.format(ref=ref, owner=view["owner"]["name"])
    assert service.show(desk, ref, actor=AMIRA) == before


def test_a_restricted_case_is_its_requesters_to_share_and_a_closed_one_takes_no_watchers(ownit_demo_org) -> None:
    desk = ownit_demo_org
    case = service.raise_request(desk, actor=NOAH, request_type="hr.relations", title="A concern", fields=HR_CASE)
    with pytest.raises(PermissionDenied, match="^only the person who raised it can add watchers of HR-"):
        service.watch(desk, case["ref"], actor=NADIA, add=AMIRA)  # the lead may not widen it
    service.watch(desk, case["ref"], actor=NOAH, add=AMIRA)
    assert service.show(desk, case["ref"], actor=AMIRA)["viewer"]["watching"]
    with pytest.raises(ValidationError, match="cannot be marked for the site"):
        service.raise_request(desk, actor=NOAH, request_type="hr.relations", title="Another", fields=HR_CASE,
                              for_site=True)
    view = raise_leak(desk)
    service.contact(desk, view["ref"], actor=view["owner"]["email"], note="hi")
    service.resolve(desk, view["ref"], actor=view["owner"]["email"], note="done")
    service.confirm(desk, view["ref"], actor=AMIRA)
    with pytest.raises(Conflict, match="is closed"):
        service.watch(desk, view["ref"], actor=AMIRA, add=TOM)


def test_watch_on_the_command_line(ownit_demo_org, ownit_database_url: str) -> None:
    cli = Cli(ownit_database_url)
    ref = cli.json("raise", "--as", AMIRA, "--type", "facilities.leak", "--title", "Leak", "--field",
                   "location=stockroom", "--field", "near_electrics=no", "--for-site")["ref"]
    assert cli.ok("watch", ref, "--as", AMIRA, "--add", TOM).stdout.splitlines() == [
        f"{ref}: Tom Hughes watches it now", f"{ref} watchers: Tom Hughes ({TOM})"]
    assert cli.ok("watch", ref, "--as", AMIRA, "--add", TOM).stdout.splitlines()[0] == f"{ref}: Tom Hughes already watches it"
    assert "for the site" in cli.ok("show", ref, "--as", TOM).stdout
    assert one_error_line(cli("watch", ref, "--as", NOAH, "--add", GRACE), 1).startswith(
        "only the person who raised it, the owner")
    assert cli.ok("watch", ref, "--as", TOM, "--remove", TOM).stdout.splitlines()[0] == f"{ref}: Tom Hughes no longer watches it"
    assert cli.json("watch", ref, "--as", AMIRA)["watchers"] == []


def test_channels_reach_a_watcher_by_their_own_preferences_and_only_the_requester_rates(
        ownit_database_url, ownit_clock) -> None:
    chat = Channel()
    desk = desk_with({"chat": chat}, ownit_database_url, ownit_clock)
    assert service.my_preferences(desk, actor=TOM)["available"] == ["chat"]
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.watch(desk, ref, actor=AMIRA, add=TOM)
    service.watch(desk, ref, actor=AMIRA, add=GRACE)
    service.set_preferences(desk, actor=GRACE, notify={"channels": []})  # the inbox only
    service.contact(desk, ref, actor=owner, note="On my way")
    service.resolve(desk, ref, actor=owner, note="Patched")
    resolved = {n.recipient_email: n for n in chat.got if n.kind == "resolved"}
    assert set(resolved) == {AMIRA, TOM}  # Grace has hers in the inbox only
    assert kinds(heard(desk, GRACE, ref))[-1] == "resolved"
    assert resolved[AMIRA].rate_token and resolved[TOM].rate_token == ""
    assert resolved[TOM].data["following"] == "Amira Khan"


# --- deputies ------------------------------------------------------------------------------------


def test_deputies_hear_when_the_request_is_for_the_site_or_the_requester_is_away(ownit_demo_org) -> None:
    desk = ownit_demo_org
    plain = raise_leak(desk)
    marked = raise_leak(desk, for_site=True)
    for view in (plain, marked):
        service.contact(desk, view["ref"], actor=view["owner"]["email"], note="On my way")
    assert heard(desk, NOAH, plain["ref"]) == []  # his store's, but Amira is here and did not ask
    assert kinds(heard(desk, NOAH, marked["ref"])) == ["raised", "contacted"]
    assert heard(desk, NOAH, marked["ref"])[0]["data"]["following"] == "Amira Khan"
    assert [v["ref"] for v in service.following(desk, actor=NOAH)] == [marked["ref"]]
    assert service.show(desk, marked["ref"], actor=NOAH)["for_site"]

    case = service.raise_request(desk, actor=AMIRA, request_type="hr.relations", title="A concern", fields=HR_CASE)
    service.set_away(desk, actor=AMIRA, email=AMIRA, start=date(2026, 11, 23), until=date(2026, 11, 25))
    service.check_in(desk, plain["ref"], actor=plain["owner"]["email"], note="Roofer booked")
    service.contact(desk, case["ref"], actor=case["owner"]["email"], note="Let us talk")
    assert kinds(heard(desk, NOAH, plain["ref"])) == ["checkin"]  # Amira is away: her deputy hears
    assert heard(desk, NOAH, case["ref"]) == []  # never an HR case
    desk.clock.set(utc(25, 10))  # she is back
    service.check_in(desk, plain["ref"], actor=plain["owner"]["email"], note="Roofer came")
    assert kinds(heard(desk, NOAH, plain["ref"])) == ["checkin"]
    own = raise_leak(desk, actor=NOAH, for_site=True)  # a deputy's own request: told once, as its requester
    assert kinds(heard(desk, NOAH, own["ref"])) == ["raised"]
    assert "following" not in heard(desk, NOAH, own["ref"])[0]["data"]


def test_the_org_file_names_deputies_and_says_which_line_is_wrong(ownit_demo_org, tmp_path) -> None:
    desk = ownit_demo_org
    load_org_text(desk, S001 + f'deputies = ["{GRACE.upper()}", "{TOM}", "{GRACE}"]\n', tmp_path)

    def deputies() -> list[str]:
        def read(session: Any) -> list[str]:
            site = session.exec(Site.__table__.select().where(Site.code == "S001")).one()
            emails = {p.id: p.email for p in session.exec(Person.__table__.select()).all()}
            return [emails[i] for i in site.deputies]

        return look(desk, read)

    assert deputies() == [GRACE, TOM]
    for text, says in [
        (S001 + 'deputies = ["nobody@example.com"]\n', "line 8: site #1 field 'deputies': no person "
                                                       "'nobody@example.com'; add them as a [[person]]"),
        (S001 + 'deputies = "grace.okafor@example.com"\n', "line 8: site #1 field 'deputies': must be a list of "
                                                           "people's emails"),
        (S001 + 'deputies = ["not an email"]\n', "line 8: site #1 field 'deputies': must be a list"),
    ]:
        with pytest.raises(ConfigError) as caught:
            load_org_text(desk, text, tmp_path)
        assert str(caught.value).startswith(f"{tmp_path / 'org.toml'} {says}"), str(caught.value)
        assert "\n" not in str(caught.value)
        assert deputies() == [GRACE, TOM]  # nothing changed
    load_org_text(desk, S001, tmp_path)  # the file is the truth: none named, none kept
    assert deputies() == []


# --- settings ------------------------------------------------------------------------------------


def test_each_person_sets_their_own_preferences_and_a_mistake_changes_nothing(ownit_demo_org, tmp_path) -> None:
    desk = ownit_demo_org
    mine = service.my_preferences(desk, actor=AMIRA)
    assert (mine["channels"], mine["digest"], mine["quiet"], mine["timezone"], mine["zone"]) == (
        None, False, "", None, "Europe/London")
    saved = service.set_preferences(desk, actor=AMIRA, notify={"channels": [], "digest": True,
                                                               "quiet": "19:00-07:00", "timezone": "Europe/Paris"})
    assert (saved["channels"], saved["digest"], saved["quiet"], saved["zone"]) == ([], True, "19:00-07:00",
                                                                                    "Europe/Paris")
    for notify, says in [({"quiet": "7pm-7am"}, "quiet hours '7pm-7am' must be two different times of day"),
                         ({"timezone": "Mars/Base"}, "notify timezone 'Mars/Base' is not a time zone"),
                         ({"channels": ["fax"]}, "there is no channel 'fax'; installed: ")]:
        with pytest.raises(ValidationError) as caught:
            service.set_preferences(desk, actor=AMIRA, notify=notify)
        assert str(caught.value).startswith(says)
    assert service.my_preferences(desk, actor=AMIRA) == {k: v for k, v in saved.items() if k != "saved"}
    person = (f'[[person]]\nemail = "{AMIRA}"\nname = "Amira Khan"\ntitle = "Store manager"\nsite = "S001"\n'
              'phone = "0113 496 0101"\n')
    load_org_text(desk, S001 + 'deputies = ["noah.clarke@example.com"]\n' + person, tmp_path)
    assert service.my_preferences(desk, actor=AMIRA)["digest"]  # the file gives no notify: hers stands
    load_org_text(desk, S001 + person + 'notify = { digest = false }\n', tmp_path)
    assert not service.my_preferences(desk, actor=AMIRA)["digest"]  # it gives one: it is set again


def test_settings_on_the_command_line(ownit_demo_org, ownit_database_url: str) -> None:
    cli = Cli(ownit_database_url)
    assert cli.ok("settings", "--as", AMIRA).stdout.startswith(f"{AMIRA}: every channel; each at once; quiet hours "
                                                                "none; time zone Europe/London (your site's)")
    assert one_error_line(cli("settings", "--as", AMIRA, "--quiet", "19-7"), 1).startswith("quiet hours '19-7'")
    now = cli.json("settings", "--as", AMIRA, "--digest", "--quiet", "19:00-07:00", "--channels", "")
    assert (now["channels"], now["digest"], now["quiet"]) == ([], True, "19:00-07:00")
    now = cli.json("settings", "--as", AMIRA, "--no-digest", "--channels", "all")
    assert (now["channels"], now["digest"], now["quiet"]) == (None, False, "19:00-07:00")  # the rest kept


# --- the UI --------------------------------------------------------------------------------------


def test_the_settings_page_saves_and_shows_a_mistake_inline(app, ownit_demo_org) -> None:  # noqa: F811
    at = app().run()
    at.switch_page("views/settings.py").run()
    assert not at.exception and at.title[0].value == "Settings"
    at.text_input(key="settings-quiet").input("19:00-31:00")
    at.radio(key="settings-digest").set_value("A morning digest")
    at.button[0].click().run()
    assert not at.exception
    assert [rendered_text(e.value) for e in at.error] == [
        "quiet hours '19:00-31:00' must be two different times of day like \"19:00-07:00\" (from-until, in the "
        "person's own time)"]
    assert at.text_input(key="settings-quiet").value == "19:00-31:00"  # kept, to fix
    assert not service.my_preferences(ownit_demo_org, actor=AMIRA)["digest"]  # nothing saved
    at.text_input(key="settings-quiet").input("19:00-07:00")
    at.selectbox(key="settings-zone").set_value("Europe/Paris")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert any("Settings saved" in rendered_text(s.value) for s in at.success)
    mine = service.my_preferences(ownit_demo_org, actor=AMIRA)
    assert (mine["digest"], mine["quiet"], mine["timezone"]) == (True, "19:00-07:00", "Europe/Paris")


def test_the_requester_adds_a_watcher_from_the_card_who_follows_it_without_internal_notes(
        app, ownit_demo_org) -> None:  # noqa: F811
    desk = ownit_demo_org
    view = raise_leak(desk)
    ref, owner = view["ref"], view["owner"]["email"]
    service.add_note(desk, ref, actor=owner, note="between us", internal=True)
    at = unfold(app().run(), "watchers", ref)
    at.selectbox(key=f"watch-who-{ref}").set_value(next(p for p in service.people(desk) if p["email"] == TOM))
    next(b for b in at.button if b.label == "Add watcher").click().run()
    assert not at.exception and not at.error
    assert any(f"{ref}: Tom Hughes watches it now" in rendered_text(s.value) for s in at.success)
    assert "Watching: Tom Hughes" in shown(at)
    assert [w["email"] for w in service.show(desk, ref, actor=AMIRA)["watchers"]] == [TOM]

    at = app(TOM, tab="Following").run()
    text = shown(at)
    assert ref in text and "between us" not in text
    assert any("You follow this request of Amira Khan's" in rendered_text(c.value) for c in at.caption)
    next(b for b in at.button if b.label == "Stop watching").click().run()
    assert not at.exception and not at.error
    assert service.show(desk, ref, actor=AMIRA)["watchers"] == []
