"""The shipped drill scenarios: one per plan template (YAML, see ``drills.scenario``)."""
