"""Company settings the office changes in the app (not in code): which jobs need a procedure,
where follow-up jobs go."""
