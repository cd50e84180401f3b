"""The start of a long-running process (a web worker, the deadline worker): what every
request and pass uses is loaded once, then set aside from the cyclic garbage collector.

Python's collector walks every object of its oldest generation now and then: in a Tousu
process that is about 140,000 objects loaded at start (modules, functions, classes, URL
patterns, the API's schemas) that never become garbage. A full walk stopped a web worker
for 50–60 ms every 1,000 or so registrations, and the first ones after start cost a
fifth of a registration's instructions (measured with callgrind). ``gc.freeze`` moves
them to a generation the collector never walks; what is made later is collected as
before.
"""

from __future__ import annotations

import gc

from django.urls import get_resolver


def serving_ready() -> None:
    """Load the URL configuration (every view, the API and its schemas), collect what
    loading left behind, and freeze the rest. Call once, after ``django.setup()``."""
    get_resolver().url_patterns  # noqa: B018 - imports every urlconf, views and the API
    gc.collect()
    gc.freeze()
