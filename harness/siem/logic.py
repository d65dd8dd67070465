"""Moved to harness/backends/logic.py (the backends own the logic tree); kept so branches in flight
still import. New code imports harness.backends.logic."""
from harness.backends.logic import *  # noqa: F401,F403
from harness.backends.logic import HuntPlan, HuntThreshold, hunt_plan  # noqa: F401
