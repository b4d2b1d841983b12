"""Repository-wide pytest setup (tests/ and property_tests/)."""

import os

# Under pytest-xdist every worker is its own process: one intra-op thread each keeps the
# frameworks' OpenMP pools from spinning against each other on a small machine.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
