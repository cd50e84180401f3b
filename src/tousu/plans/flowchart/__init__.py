"""The flow chart of a plan revision (流程图), drawn as SVG on the server from the typed
plan itself, so it never goes out of date.

A pure function of the plan: stages are boxes in layers by the longest path from the
initial stage; transitions are the stage actions' targets (``to``, satisfied /
dissatisfied outcomes, the follow-up's reopening). Edges that go back to an earlier stage
(sent back, dissatisfied → handling) are loops routed around the side of the chart, never
copies of a box. Every text comes from the plan's labels; what an action does is written
in its stage's box, so no label floats over a line. The emergency half (levels with their
colours, the command group and working groups, triggers) is a lane of its own below.

The modules: ``stages`` reads the boxes and edges from the plan, ``layout`` places them,
``draw`` writes the graph's SVG, ``panels`` the notes, emergency lane and legend below
it, ``chart`` puts the whole together; ``text`` estimates widths and wraps lines.
"""

from tousu.plans.flowchart.chart import Chart, flowchart
from tousu.plans.flowchart.text import wrap

__all__ = ["Chart", "flowchart", "wrap"]
