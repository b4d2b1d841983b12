"""Hypothesis settings for the cross-backend property tests.

Profiles (select with ``HYPOTHESIS_PROFILE``, default "ci"):

* ``ci``        few examples, no deadline: the whole suite stays within minutes.
* ``thorough``  many examples, for local runs before a release.
* ``dev``       a handful of examples, for quick iterations while writing a test.

Test files import the harness as ``from harness import run_everywhere, ...`` (this
conftest puts property_tests/ on sys.path).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# One intra-op thread for torch (see tests/conftest.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Tests run with --import-mode=importlib, which does not put this folder on sys.path:
# put it there so that test files can ``from harness import ...``.
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from hypothesis import HealthCheck, settings  # noqa: E402

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
             HealthCheck.differing_executors]

# "ci" is the gate: derandomized, so a run is reproducible and a merge is never blocked by a
# draw nobody has seen; "thorough" (random, 300 examples) is how new failures are found.
settings.register_profile("ci", max_examples=10, deadline=None, suppress_health_check=_SUPPRESS,
                          derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", max_examples=3, deadline=None, suppress_health_check=_SUPPRESS)
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=_SUPPRESS, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_sessionfinish(session, exitstatus):
    """Stop the Keras reference process (keras_oracle.py) if this session started one."""
    oracle = sys.modules.get("keras_oracle")
    if oracle is not None and oracle._ORACLE is not None:
        oracle._ORACLE.close()
