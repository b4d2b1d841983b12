"""Per-framework helpers of unikeras.ops (gradient stopping, functional index updates,
segment reductions, control flow, erf). Each module is named for its framework and
loaded lazily by ``unikeras.ops._common.ops_shim(framework)``; a framework without a
module (e.g. array_api_strict) gets the generic array-API code in the ops themselves."""
