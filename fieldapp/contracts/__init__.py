"""Service contracts, the preventive maintenance plans on them, and the planner that makes
PM jobs ahead of time."""
