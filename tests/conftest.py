"""Test configuration: hypothesis runs derandomized by default so CI is repeatable
(HYPOTHESIS_PROFILE=dev explores new examples)."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
