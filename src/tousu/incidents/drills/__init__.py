"""Drills (演练): a plan rehearsed on simulated complaints and events, in a database and
on a clock of its own, timed and evaluated against the plan's targets.

The conductor (``services``) validates the scenario, records the drill in the real
database, exports the configuration and starts the drill's own process (``process``),
which replays the scenario (``engine``) and measures it (``figures``); the conductor then
evaluates the figures and writes the report (``report``) — the only things a drill writes
to the real database.
"""
