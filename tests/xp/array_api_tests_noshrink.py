"""pytest plugin for scripts/run_array_api_tests.sh (NO_SHRINK=1): Hypothesis skips its
shrink/explain phases. Pass/fail outcomes are unchanged (the same examples are generated);
failures are just reported unminimised, which makes a run with many failures much faster."""

import pytest
from hypothesis import settings, Phase

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    settings.register_profile("noshrink", parent=settings.get_profile("array-api-tests"),
                              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("noshrink")
