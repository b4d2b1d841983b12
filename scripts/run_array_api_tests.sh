#!/usr/bin/env bash
# Run the official Array API conformance suite (data-apis/array-api-tests) against one of
# unikeras' TensorFlow namespaces. Fetches nothing: pass the path of an existing checkout
# of array-api-tests (with its array-api spec submodule populated).
#
#   scripts/run_array_api_tests.sh third_party_checkouts/array-api-tests [extra pytest args]
#   NAMESPACE=plain scripts/run_array_api_tests.sh third_party_checkouts/array-api-tests
#
# NAMESPACE: compliant (default) = unikeras.xp.tensorflow.compliant (Array objects),
# xfails tests/xp/tf_compliant_xfails.txt; plain = unikeras.xp.tensorflow.array_api
# (raw tf.Tensor), xfails tests/xp/tf_array_api_xfails.txt.
# Environment knobs: MAX_EXAMPLES (default 20), PYTHON (default .venv/bin/python),
# ARRAY_API_TESTS_VERSION (default 2025.12, the version the namespaces declare),
# JOBS (pytest-xdist workers, default 1), NO_SHRINK=1 (skip Hypothesis shrinking via
# tests/xp/array_api_tests_noshrink.py: same outcomes, much faster when tests fail).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 PATH_TO_ARRAY_API_TESTS_CHECKOUT [pytest args...]" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SUITE="$(cd "$1" && pwd)"
shift
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
MAX_EXAMPLES="${MAX_EXAMPLES:-20}"
JOBS="${JOBS:-1}"
XDIST=()
if [ "$JOBS" != "1" ]; then XDIST=(-n "$JOBS"); fi
PLUGINS=()
if [ "${NO_SHRINK:-0}" = "1" ]; then
  export PYTHONPATH="$ROOT/tests/xp${PYTHONPATH:+:$PYTHONPATH}"
  PLUGINS=(-p array_api_tests_noshrink)
fi

case "${NAMESPACE:-compliant}" in
  compliant) MODULE=unikeras.xp.tensorflow.compliant; XFAILS="$ROOT/tests/xp/tf_compliant_xfails.txt" ;;
  plain) MODULE=unikeras.xp.tensorflow.array_api; XFAILS="$ROOT/tests/xp/tf_array_api_xfails.txt" ;;
  *) echo "NAMESPACE must be 'compliant' or 'plain'; received '$NAMESPACE'" >&2; exit 2 ;;
esac

export ARRAY_API_TESTS_MODULE="$MODULE"
export ARRAY_API_TESTS_VERSION="${ARRAY_API_TESTS_VERSION:-2025.12}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"

cd "$SUITE"
# --rootdir: otherwise pytest takes unikeras' pyproject.toml as rootdir, node ids get a
# third_party_checkouts/... prefix and no --xfails-file id ever matches.
exec "$PYTHON" -m pytest array_api_tests/ --rootdir "$SUITE" \
  --xfails-file "$XFAILS" \
  --max-examples="$MAX_EXAMPLES" \
  -p no:cacheprovider --disable-warnings -q -rxXfE \
  "${XDIST[@]}" "${PLUGINS[@]}" "$@"
