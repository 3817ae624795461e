"""Photo and file questions: a department asks for a photo of the spill; it
is sent with the raise (the form's picker, ``--field photo=@PATH``), kept
with the request's files, answered by its name and shown with its question."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import conftest
from conftest import AMIRA, UPKEEP_TEAM, raise_page, with_department
from test_ui import app  # noqa: F401  (the fixture)
from ownit import Field, Promise, RequestType, Stage, hookimpl, service
from ownit.errors import ValidationError

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SPILL = RequestType(
    key="upkeep.spill", label="Spill", why="Nobody slips.",
    fields=(Field("where", "Where is it?", required=True),
            Field("photo", "A photo of the spill", kind="photo", required=True),
            Field("plan", "The floor plan, if you have it", kind="file")),
    stages=(Stage("reported", "Reported"), Stage("cleaned", "Cleaned", days=0.1)),
    promise={"normal": Promise(first_contact="1h", checkin="2h", resolve="1d")})


class Upkeep(conftest.Upkeep):
    TYPES = (SPILL,)

    @hookimpl
    def ownit_validate_request(self, request_type, fields):
        if request_type == "upkeep.spill" and not fields["photo"].endswith((".jpg", ".png")):
            return [f"the photo arrived as {fields['photo']!r}"]  # hooks see the kept name
        return None


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OWNIT_FILES_DIR", str(tmp_path / "files"))
    return tmp_path / "files"


@pytest.fixture
def upkeep(ownit_demo_org, tmp_path, monkeypatch):
    return with_department(ownit_demo_org, Upkeep(), UPKEEP_TEAM, tmp_path, monkeypatch)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def raise_spill(desk, **fields):
    return service.raise_request(desk, actor=AMIRA, request_type="upkeep.spill", title="Oil by the tills",
                                 fields={"where": "tills", **fields})


def test_a_photo_answers_its_question_and_is_kept_with_the_request_s_files(upkeep) -> None:
    view = raise_spill(upkeep, photo=service.Upload("IMG_0042.PNG", png()), plan=service.Upload("plan.pdf", PDF))
    assert view["fields"] == {"where": "tills", "photo": "IMG_0042.png", "plan": "plan.pdf"}
    assert [(a["name"], a["field"], a["content_type"]) for a in view["attachments"]] == [
        ("IMG_0042.png", "photo", "image/png"), ("plan.pdf", "plan", "application/pdf")]
    assert [a["value"] for a in view["answers"]] == ["tills", "IMG_0042.png", "plan.pdf"]
    name, data = service.get_file(upkeep, view["attachments"][0]["id"], actor=view["owner"]["email"])[:2]
    assert Image.open(io.BytesIO(data)).size == (320, 240)


def test_a_photo_question_wants_a_photo_sent_not_a_name_nor_a_pdf(upkeep) -> None:
    for photo, said in ((service.Upload("spill.pdf", PDF), "A photo of the spill (photo): spill.pdf is not a photo"),
                        ("spill.jpg", "A photo of the spill (photo): send a photo (JPEG, PNG, GIF or WebP) itself"),
                        (None, "A photo of the spill (photo) is required"),
                        (service.Upload("x.jpg", b"not a picture"), "A photo of the spill (photo): ")):
        with pytest.raises(ValidationError) as refused:
            raise_spill(upkeep, **({"photo": photo} if photo is not None else {}))
        assert str(refused.value).startswith(said), str(refused.value)
        assert set(refused.value.problems) == {"photo"}  # said under its question on the form
    assert service.my_requests(upkeep, actor=AMIRA) == []


def test_a_photo_answer_is_not_changed_as_an_answer(upkeep) -> None:
    ref = raise_spill(upkeep, photo=service.Upload("spill.png", png()))["ref"]
    with pytest.raises(ValidationError, match=f"is answered with the file sent when it was raised; send another "
                                              f"with 'ownit attach {ref} FILE'"):
        service.change_answers(upkeep, ref, actor=AMIRA, answers={"photo": "other.png"})


def test_the_command_line_sends_a_photo_with_at_path(upkeep, tmp_path) -> None:
    from ownit.cli import app as ownit_cli

    (tmp_path / "spill.png").write_bytes(png())
    env = {"OWNIT_DATABASE_URL": upkeep.url, "OWNIT_USER": AMIRA}
    now = ["--now", upkeep.now().isoformat()]
    made = CliRunner().invoke(ownit_cli, [*now, "raise", "--type", "upkeep.spill", "--title", "Oil", "--field", "where=tills",
                                    "--field", f"photo=@{tmp_path / 'spill.png'}"], env=env)
    assert made.exit_code == 0, made.output
    [mine] = service.my_requests(upkeep, actor=AMIRA)
    assert mine["fields"]["photo"] == "spill.png" and mine["attachments"][0]["field"] == "photo"
    missing = CliRunner().invoke(ownit_cli, [*now, "raise", "--type", "upkeep.spill", "--title", "Oil", "--field",
                                       "where=tills", "--field", f"photo=@{tmp_path / 'gone.png'}"], env=env)
    assert missing.exit_code == 1 and missing.stdout == ""
    assert missing.stderr == f"error: --field photo: cannot read {tmp_path / 'gone.png'}: No such file or directory; " \
                             "check the path\n"


def test_the_raise_form_takes_the_photo_and_the_card_shows_it_with_its_question(app, upkeep) -> None:  # noqa: F811
    at = raise_page(app(AMIRA), "Upkeep")
    assert not at.exception
    photo = next(u for u in at.get("file_uploader") if u.label == "A photo of the spill")
    photo.set_value(("spill.png", png(), "image/png"))
    at.text_input[0].input("Oil by the tills")
    next(t for t in at.text_input if t.label == "Where is it?").input("tills")
    next(b for b in at.button if b.label == "Raise it").click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    [mine] = service.my_requests(upkeep, actor=AMIRA)
    assert mine["fields"]["photo"] == "spill.png"
    at.switch_page("views/my_requests.py").run()
    assert not at.exception
    captions = [img.caption for i in at.get("image") for img in i.proto.imgs]
    assert "A photo of the spill" in captions, captions
