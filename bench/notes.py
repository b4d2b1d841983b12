"""Hand-written analysis included in docs/benchmarks.md by bench/render.py. Update it
when a new run changes the picture (numbers quoted here are from the run it names)."""

NOTES = r"""
## Analysis (written by hand from the CPU run of 2026-12-05, 5 rounds)

**Targets.** unikeras `fit` is within 1.10x of the hand-written loop for 7 of 12
(framework, workload) pairs, and no pair misses by more than 1.5x; it is faster than Keras 3
`fit` for 9 of 12, and the three misses have overlapping min–max ranges (noise) or a
stated cause. Misses:

| pair | ratio | why |
|---|---|---|
| jax W4 vs native | 1.19 (0.09 vs 0.08 ms) | Was 1.40 (0.18 vs 0.13 ms). A second `fit()` on a model recompiled its jitted step (the trainer was created before `_prepare`, which drops cached trainers); fixed with the steps_per_execution work. What is left is the bigger jitted program (it takes and donates ~17 buffers: weights, Adam slots, iteration count, loss-tracker total/count, and returns the logs dict) and the per-batch jitted slice of the input (~12 us). In-process without the other bench workers idle beside it, the same fit measures 0.05-0.06 ms/step against the native 0.06-0.07 (`bench/run.py --workloads W4 --frameworks jax --no-keras`: 0.05 vs 0.07). |
| torch W4 vs native | 1.34 (0.63 vs 0.47 ms) | Eager Python per step (profile below): `Layer.__call__` (~9 us a layer), the loss as 5 array-API ops (`losses.mean_squared_error` + `reduce_weighted_values`, ~30 us, vs one fused `MSELoss`), the loss tracker's `update_state` and `result()` (~60 us together: small tensor ops through array-api-compat's torch wrappers), and ~10 scalar tensor ops for the bias corrections of the `_foreach` Adam. Keras 3's torch `fit` pays the same kinds of costs and is 2.6x slower here. |
| torch W3 vs native | 1.13 (31 vs 28 ms) | Not overhead: unikeras (like Keras) builds MultiHeadAttention from four EinsumDense projections and an explicit softmax; `torch.nn.MultiheadAttention` uses one packed in-projection and the fused `scaled_dot_product_attention`. Keras 3 on torch has the same structure (29 ms). |
| torch W1 vs native | 1.13 (4.7 vs 4.2 ms) | Within the noise (the min–max ranges overlap; the previous run gave 1.02). |
| tensorflow W4 vs native | 1.21 (0.45 vs 0.37 ms) | One tf.function call each; the unikeras graph also updates the loss tracker and builds the logs, and `tf.function`'s argument matching of the `(x, y)` batch structure costs ~0.1 ms of Python per call (profile: `function_type` hashing). `steps_per_execution=16` brings it to ~0.2 ms/step (one call per 16 batches; docs/training.md). |
| jax W3, W2 vs Keras 3 | 1.20, 1.02 | Within the noise (overlapping ranges; the previous run gave 0.99 and 1.07): one XLA program of the same ops in both. |
| torch W3 vs Keras 3 | 1.06 (31 vs 29 ms) | Within the noise (overlapping ranges; 0.94 in the previous run). |

`train_on_batch` is slower than `fit` on jax and TensorFlow for small models (jax W4
4.7x native): every call converts its logs to Python floats (a host sync, as Keras 3
does) and re-checks the model's preparation; Keras 3's `train_on_batch` is slower still.

**Fixed since the 2026-11-23 run:** a second `fit()` no longer recompiles the step
(jax W4 0.18 → 0.09 ms/step); `steps_per_execution` is real (k batches per compiled call).

**Fixed in the 2026-11-23 round** (each its own commit, before → after, W4 ms/step, unikeras `fit`):

* Batches of framework arrays were cut with one eager slice per batch and array: 0.14 ms
  (jax) / 0.37 ms (TF) each, more than the whole jax step. The array adapter now cuts a
  chunk of batches per call (`xp.split_rows`: `tf.split` after one slice, torch views, and
  for jax a small jitted `dynamic_slice`/`take` with the start traced, ~12 us, one compile
  per shape). jax 0.49 → 0.17 ms (ratio 3.6 → 1.1 in that run), TF 1.55 → 0.90 ms
  (2.1 → 1.3); a first jitted chunk split compiled per layout (a 24 ms/step outlier in the
  first timed jax fit) is gone with the per-batch jitted slice.
* The loss tracker (`Mean.update_state(loss, sample_weight=batch_size)`) materialised and
  broadcast the Python weight each step: 58 → 30 us per step on torch (same numbers,
  checked bitwise).

**What remains** (not done here): a fused per-framework fast path for the common losses
(MSE, sparse CE) and for `Mean.result()`; fewer scalar ops in the torch `_foreach` Adam
(bias corrections computed from a CPU step counter as torch.optim does); keeping the
loss tracker and logs out of the jitted jax step's donated state when no callback needs
per-step logs; a packed-projection + `scaled_dot_product_attention` fast path for
MultiHeadAttention on torch; and a GPU run (`--device cuda`).

**Noise.** The machine has 2 cores, and the run shared them with other jobs at times
(load average in the header). torch uses 2 intra-op threads by default: when another
process takes a core, its tiny ops become 10-30x slower (W4 steps of 20-30 ms were seen
in loaded runs for unikeras, native and Keras alike). Ratios come from interleaved
rounds, so such bursts hit all three; single numbers can be off by tens of percent.
"""
