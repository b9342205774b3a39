"""Shared test settings. Under CI (CI=true) Hypothesis runs a fixed sequence of examples, so a submission's
result does not depend on luck; locally it keeps exploring new examples on every run."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() == "true":
    settings.load_profile("ci")
