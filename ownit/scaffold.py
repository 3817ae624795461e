"""``ownit plugin new NAME``: a working department plugin to start from.

The package it writes installs with ``pip install -e``, shows up in
``ownit departments`` with no change to OwnIt, and its test passes. It is
laid out as OwnIt's own departments are: the folder ``NAME`` (as
``plugins/facilities``), the distribution ``ownit-NAME``, the module
``ownit_NAME``; its refs' prefix is the name's first letter and the
consonants after it (``cleaning``: ``CLN-1001``) unless one is given.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import ValidationError

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")

PYPROJECT = '''\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "ownit-{dist}"
version = "0.1.0"
description = "OwnIt department plugin: {title}"
requires-python = ">=3.11"
dependencies = ["ownit>=0.1"]

[project.entry-points.ownit]
{name} = "ownit_{name}"

[tool.setuptools]
packages = ["ownit_{name}"]

[tool.pytest.ini_options]
ownit_plugins = ["{name}"]
'''

MODULE = '''\
"""{title}: an OwnIt department."""

from __future__ import annotations

from typing import Any

from ownit import Department, Field, Promise, RequestType, Stage, hookimpl

GENERAL = RequestType(
    key="{name}.general",
    label="{title} request",
    why="Say in one line why this matters to the store, so requester and owner share it.",
    fields=(
        Field("where", "Where in the store?", required=True, help="For example: stockroom, aisle 4"),
        Field("blocking", "Is it stopping the store from trading?", kind="yesno"),
    ),
    stages=(
        Stage("received", "Received"),
        Stage("in_hand", "In hand", days=1),
        Stage("done", "Done", days=2),
        Stage("checked", "Checked by the store", requester_action="Check it is done and confirm"),
    ),
    promise={{"urgent": Promise(first_contact="2h", checkin="4h", resolve="1d"),
              "normal": Promise(first_contact="1d", checkin="1d", resolve="5d")}},
    skills=("{name}",),
)


@hookimpl
def ownit_register_departments(register: Any) -> None:
    register(Department(key="{name}", name="{title}", prefix="{prefix}", request_types=(GENERAL,)))


@hookimpl
def ownit_priority(request_type: str, fields: dict[str, Any]) -> str | None:
    if request_type == "{name}.general" and fields.get("blocking"):
        return "urgent"
    return None  # no opinion: the request type's default
'''

# ``--example``: the plugin guide's Cleaning department, which shows the kit at work: a choice with a
# follow-up question, several choices, a safety question, a priority rule within the type's declared
# priorities, promises in minutes on a clock of their own (24x7), and a needed-by date.
EXAMPLE_MODULE = '''\
"""{title}: an OwnIt department (the plugin guide's example)."""

from __future__ import annotations

from typing import Any

from ownit import Department, Field, Promise, RequestType, Stage, hookimpl

SPILL = RequestType(
    key="{name}.spill",
    label="Spill or mess",
    why="A spill on the shop floor is a slip hazard for customers and staff.",
    fields=(
        Field("where", "Where is it?", required=True, help="For example: aisle 4, by the tills"),
        Field("what", "What is spilt?", kind="choice", required=True,
              choices=("water", "oil or grease", "glass", "food", "other")),
        Field("what_other", "What is it, then?", required=True, shown_when=("what", "other")),
        Field("slippery", "Could someone slip on it?", kind="yesno", required=True, risk_when=True),
        Field("cordoned", "Is it cordoned off?", kind="yesno", shown_when=("slippery", True),
              help="Keep people away from it until the cleaner has been"),
        Field("photo", "A photo of it", kind="photo", help="So the cleaner knows what to bring"),
    ),
    stages=(
        Stage("reported", "Reported", requester_action="Keep people away from it until the cleaner comes"),
        Stage("cleaning", "Cleaner on the way", days=0.05),
        Stage("cleaned", "Cleaned", days=0.1),
        Stage("checked", "Checked by the store", requester_action="Check the floor is dry and safe"),
    ),
    default_priority="normal",
    priorities=("urgent", "high"),  # what ownit_priority below may give, besides the default
    calendar="24x7",  # a spill is a hazard at any hour: its promises count every hour, not the team's
    promise={{"urgent": Promise(first_contact="15m", checkin="30m", resolve="2h"),
              "high": Promise(first_contact="30m", checkin="1h", resolve="4h"),
              "normal": Promise(first_contact="2h", checkin="4h", resolve="1d")}},
    skills=("{name}",),
)

DEEP_CLEAN = RequestType(
    key="{name}.deep",
    label="Deep clean",
    why="A deep clean keeps the store fit to trade and ready for visits.",
    fields=(
        Field("areas", "Which areas?", kind="multichoice", required=True,
              choices=("shop floor", "stockroom", "toilets", "staff room", "other")),
        Field("other_area", "Which other area?", required=True, shown_when=("areas", "other")),
        Field("by", "Needed by", kind="date", required=True, help="The day it must be done by"),
    ),
    stages=(
        Stage("asked", "Asked"),
        Stage("booked", "Cleaners booked", days=2),
        Stage("done", "Deep cleaned", days=3),
        Stage("checked", "Checked by the store", requester_action="Walk the areas and confirm"),
    ),
    default_priority="low",  # only ever low: one promise
    promise={{"low": Promise(first_contact="1d", checkin="2d", resolve="10d")}},
    needed_by_field="by",  # a date sooner than the promise is agreed at first contact
    skills=("{name}",),
)


@hookimpl
def ownit_register_departments(register: Any) -> None:
    register(Department(key="{name}", name="{title}", prefix="{prefix}", request_types=(SPILL, DEEP_CLEAN)))


@hookimpl
def ownit_priority(request_type: str, fields: dict[str, Any]) -> str | None:
    if request_type == "{name}.spill" and fields.get("slippery"):
        return "high" if fields.get("cordoned") else "urgent"  # not cordoned off yet: someone could fall now
    return None  # no opinion: the request type's default
'''

TEST = '''\
"""{title} through a real OwnIt desk (fixtures from ownit.testing)."""

from ownit import ValidationError, service
from ownit.testing import load_org_text

ORG = """
[[site]]
code = "S001"
name = "High Street"
region = "north"
timezone = "Europe/London"
country = "GB"
subdivision = "ENG"

[[person]]
email = "manager@example.com"
name = "Store Manager"
site = "S001"

[[person]]
email = "lead@example.com"
name = "Team Lead"

[[person]]
email = "agent@example.com"
name = "Team Agent"

[[team]]
key = "{name}-team"
name = "{title}"
department = "{name}"
regions = ["north"]
lead = "lead@example.com"
# When the team works: its promises count in these hours (without a calendar: 09:00-17:00 UTC, Monday to Friday)
calendar = {{ timezone = "Europe/London", days = "MO-FR", hours = "08:00-18:00", country = "GB", subdivision = "ENG" }}
members = [{{ email = "agent@example.com", skills = ["{name}"], capacity = 10 }}]
"""


def test_a_request_gets_its_owner_and_promise(ownit_desk, tmp_path):
    load_org_text(ownit_desk, ORG, tmp_path)
    view = service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.general",
                                 title="Please help", fields={{"where": "stockroom", "blocking": "yes"}})
    assert view["owner"]["email"] == "agent@example.com"
    assert view["priority"] == "urgent"
    assert view["promise"]["first_contact_within"] == "2 business hours"


def test_missing_fields_are_refused(ownit_desk, tmp_path):
    load_org_text(ownit_desk, ORG, tmp_path)
    try:
        service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.general",
                              title="Please help", fields={{}})
    except ValidationError as error:
        assert "where" in str(error)
    else:
        raise AssertionError("a request without its required field was accepted")
'''

EXAMPLE_TESTS = '''

def test_a_slippery_spill_not_cordoned_off_is_urgent(ownit_desk, tmp_path):
    load_org_text(ownit_desk, ORG, tmp_path)
    view = service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.spill",
                                 title="Oil by the tills", fields={{"where": "tills", "what": "oil or grease",
                                                                   "slippery": "yes", "cordoned": "no"}})
    assert view["priority"] == "urgent"
    assert view["promise"]["first_contact_within"] == "15 minutes"  # around the clock: not business minutes
    assert view["promise"]["clock"] == "around the clock"
    assert [a["safety"] for a in view["answers"] if a["key"] == "slippery"] == [True]


def test_a_spill_comes_with_a_photo(ownit_desk, tmp_path, monkeypatch):
    import io

    from PIL import Image

    monkeypatch.setenv("OWNIT_FILES_DIR", str(tmp_path / "files"))  # where the desk keeps files
    load_org_text(ownit_desk, ORG, tmp_path)
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 40)).save(picture, "PNG")
    view = service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.spill",
                                 title="Spill", fields={{"where": "aisle 4", "what": "food", "slippery": "no",
                                                         "photo": service.Upload("spill.png", picture.getvalue())}})
    assert view["fields"]["photo"] == "spill.png"  # its answer is the name; the photo is one of its files
    assert [(a["name"], a["field"]) for a in view["attachments"]] == [("spill.png", "photo")]


def test_once_cordoned_off_a_spill_is_high_priority(ownit_desk, tmp_path):
    load_org_text(ownit_desk, ORG, tmp_path)
    view = service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.spill",
                                 title="Oil by the tills", fields={{"where": "tills", "what": "oil or grease",
                                                                   "slippery": "yes", "cordoned": "no"}})
    changed = service.change_answers(ownit_desk, view["ref"], actor="manager@example.com",
                                     answers={{"cordoned": "yes"}}, note="Tape across the aisle")
    assert changed["priority"] == "high"  # the priority rule asked again: the promise with it
    assert changed["promise"]["first_contact_within"] == "30 minutes"
    assert [e["kind"] for e in changed["timeline"]][-2:] == ["answers_changed", "priority_changed"]


def test_what_is_spilt_asks_more_only_for_other(ownit_desk, tmp_path):
    load_org_text(ownit_desk, ORG, tmp_path)
    try:
        service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.spill", title="Spill",
                              fields={{"where": "aisle 4", "what": "other", "slippery": "no"}})
    except ValidationError as error:
        assert error.problems == {{"what_other": "It is required."}}
    else:
        raise AssertionError("a spill of 'other' was raised without saying what")
    view = service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.spill",
                                 title="Spill", fields={{"where": "aisle 4", "what": "other",
                                                         "what_other": "paint", "slippery": "no"}})
    assert view["priority"] == "normal" and view["fields"]["what_other"] == "paint"


def test_a_deep_clean_takes_several_areas(ownit_desk, tmp_path):
    load_org_text(ownit_desk, ORG, tmp_path)
    view = service.raise_request(ownit_desk, actor="manager@example.com", request_type="{name}.deep",
                                 title="Before the area visit", fields={{"areas": "toilets, shop floor",
                                                                         "by": "2026-12-18"}})
    assert view["fields"]["areas"] == ["shop floor", "toilets"] and view["priority"] == "low"
    assert view["promise"]["first_contact_within"] == "1 business day"  # in the team's working hours
'''

README = '''\
# ownit-{dist}

{title}: an OwnIt department plugin.

```sh
pip install -e .
ownit departments        # lists {title}
pytest                   # runs with OwnIt's fixtures, this plugin only
```

Give it a team in your org file (`department = "{name}"`) and requests of
`{name}.general` can be raised. See OwnIt's docs/writing-a-plugin.md.
'''


def prefix_of(name: str) -> str:
    """The refs' prefix for a department ``name``: its first letter and the
    consonants after it, three at most (``cleaning``: ``CLN``; ``hr``: ``HR``)."""
    letters = re.sub(r"[^A-Z]", "", name.upper())
    found = (letters[:1] + "".join(c for c in letters[1:] if c not in "AEIOU"))[:3]
    return found if len(found) >= 2 else letters[:3].ljust(2, "X")


def new_plugin(name: str, where: Path, *, prefix: str | None = None, example: bool = False) -> Path:
    """Write the package ``ownit-NAME`` into the folder ``NAME`` under ``where``; returns the folder.
    ``example``: the plugin guide's Cleaning department and its tests, rather than one general type."""
    if not _NAME.match(name):
        raise ValidationError(f"plugin name {name!r} must be a lower-case word (letters, digits, _), like 'cleaning'")
    if prefix is not None and not re.match(r"^[A-Z]{2,6}$", prefix):
        raise ValidationError(f"prefix {prefix!r} must be 2-6 capital letters, like CLN")
    folder = where / name
    if folder.exists():
        raise ValidationError(f"{folder} already exists; pick another name or folder")
    values = {"name": name, "dist": name.replace("_", "-"), "title": name.replace("_", " ").capitalize(),
              "prefix": prefix or prefix_of(name)}
    (folder / f"ownit_{name}").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT.format(**values), encoding="utf-8")
    head = TEST[:TEST.index("\n\ndef test_")]  # its imports and its test organisation
    module, test = (EXAMPLE_MODULE, head + "\n" + EXAMPLE_TESTS) if example else (MODULE, TEST)
    (folder / f"ownit_{name}" / "__init__.py").write_text(module.format(**values), encoding="utf-8")
    (folder / "tests" / f"test_{name}.py").write_text(test.format(**values), encoding="utf-8")
    (folder / "README.md").write_text(README.format(**values), encoding="utf-8")
    return folder
