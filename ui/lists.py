"""Many requests on one page: a few whole cards, the rest as rows of one table.

A whole card (``common.request_card``) is the owner, the promise, the steps,
the timeline and every form the viewer may use: some forty elements, which a
browser takes tens of milliseconds to draw. Fifty of them took My requests
seconds to settle (docs/benchmarks.md), so a page draws whole only the first
few (those that need the viewer put first) and lists the rest in a table: a
click on a row opens that request whole at the top of the page, as a link to
it (``?ref=``) does.
"""

from __future__ import annotations

from typing import Any, Iterable

import streamlit as st

from card import request_card
from common import when

CARDS = 3  # requests of a list drawn whole before the rest become rows
# Widths that fit the main column of a 1280 px window beside the sidebar
COLUMNS = {"ref": st.column_config.TextColumn("Ref", width=80),
           "title": st.column_config.TextColumn("Title", width=205),
           "owner": st.column_config.TextColumn("Owner", width=110),
           "state": st.column_config.TextColumn("Priority, status", width=110),
           "stage": st.column_config.TextColumn("Stage", width=125),
           "due": st.column_config.TextColumn("Next due", width=130)}


def open_request(ref: str, forget: Iterable[str] = ()) -> None:
    """Show ``ref`` whole at the top of the page, as a link to it does, and
    forget the widgets in ``forget`` (a table's click, a search), so that
    "Show all" comes back to the list as it was."""
    st.query_params["ref"] = ref
    for key in forget:
        st.session_state.pop(key, None)
    st.rerun()


def request_rows(views: list[dict[str, Any]], *, key: str, forget: Iterable[str] = ()) -> None:
    """``views`` (requests' views or queue lines) as one table, a row each; a
    click on a row opens that request (forgetting ``forget`` and the click)."""
    table = st.dataframe(
        [{"ref": v["ref"], "title": v["title"], "owner": v["owner"]["name"],
          "state": f"{v['priority']} · {'overdue' if v['overdue'] else v['status']}",
          "stage": f"{v['stage_label']} ({v['progress']['done']}/{v['progress']['total']})",
          "due": when(v["next_due"], v["timezone"]) if v["next_due"] else "—"} for v in views],
        column_config=COLUMNS, hide_index=True, width="stretch", key=key, on_select="rerun",
        selection_mode="single-row")
    picked = table.selection.rows
    if picked:
        open_request(views[picked[0]]["ref"], forget=(key, *forget))


def cards_then_rows(views: list[dict[str, Any]], *, key: str, more: str = "more") -> None:
    """The first :data:`CARDS` of ``views`` as whole cards, the rest as rows
    under a line saying how many ``more`` there are."""
    for view in views[:CARDS]:
        request_card(view)
    rest = views[CARDS:]
    if rest:
        st.caption(f"{len(rest)} {more}: click one to open it here.")
        request_rows(rest, key=key)
