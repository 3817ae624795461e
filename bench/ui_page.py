"""The requester's "My requests" page, server side, with a large database.

    python bench/ui_page.py [--n 1000000] [--db URL]

Runs the Streamlit app's My requests page for a store manager through
``streamlit.testing.v1.AppTest`` (the whole script: identity, navigation, the
cards with their promise, stepper and timeline) with N requests in the
database, and times the reruns a person triggers by clicking.
"""

from __future__ import annotations

import os
from pathlib import Path

from _common import NOW, arguments, filled, report, timed

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")


def main() -> None:
    args = arguments(__doc__.split("\n\n")[0], n=100_000)
    desk = filled(args.n, args.db)
    os.environ.update(OWNIT_DATABASE_URL=desk.url, OWNIT_UI_DEMO="1", OWNIT_NOW=NOW.isoformat())
    from streamlit.testing.v1 import AppTest

    page = AppTest.from_file(APP, default_timeout=120)
    page.session_state["user"] = "amira.khan@example.com"
    page.run()  # the first run builds the cached desk
    assert not page.exception, page.exception
    cards = sum(1 for m in page.markdown if m.value.startswith("#### "))
    report("My requests page (AppTest, server side)", desk, args.n,
           [(f"a rerun of My requests ({cards} cards)", timed(page.run, max(args.repeat, 5)), "ms")],
           ["target: 300 ms with 1,000,000 requests in the database"])


if __name__ == "__main__":
    main()
