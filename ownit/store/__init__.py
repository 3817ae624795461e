"""Where OwnIt keeps things: the one unit of work, the one writer of each
table, and what the database derives by itself (:mod:`ownit.store.derived`)."""
