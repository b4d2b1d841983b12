"""Hand-written analysis included in docs/benchmarks.md by bench/render.py. Update it
when a new run changes the picture (numbers quoted here are from the run it names)."""

NOTES = r"""
## Analysis (written by hand from the CPU run of 2026-12-05 01:58, 5 rounds)

**Targets.** unikeras `fit` is within 1.10x of the hand-written loop for 9 of 12
(framework, workload) pairs, and no pair misses by more than 1.5x; it is faster than Keras 3
`fit` for 10 of 12, and the two misses are within the noise (overlapping min–max ranges).
W4 now times 400 steps per measurement (it was 60: measurements of 3-6 ms, whose medians
moved by 30% between runs; jax W4 read 1.19 in one run and 1.59 in the next). Misses:

| pair | ratio | why |
|---|---|---|
| torch W4 vs native | 1.40 (0.51 vs 0.36 ms) | Eager Python per step. Timed piece by piece inside one step (`perf_counter` around each call, 2,000 steps): forward + loss + backward 262 us (the native forward + `MSELoss` + backward is ~250), `optimizer.apply` 129 us (the `_foreach` Adam plus ~30 us of dispatch: `apply` → `_apply` → `_update` → the fast path's eligibility checks), the loss tracker's update 38 us and the logs (`Mean.result()` and `get_metrics_result`) 41 us: small tensor ops through array-api-compat's torch wrappers, which the native loop does not have at all. Fixed this round: the loss tracker adds in place (`Variable.assign_add` → one `add_`, 0.50 → 0.49 ms) and the Adam bias corrections are Python numbers when the step counter is on the CPU. Keras 3's torch `fit` pays the same kinds of costs and is 3.2x slower here. |
| tensorflow W4 vs native | 1.26 (0.46 vs 0.37 ms) | One tf.function call each; the unikeras graph also updates the loss tracker and builds the logs, and `tf.function`'s argument matching of the `(x, y)` batch structure costs ~0.1 ms of Python per call (profile: `function_type` hashing). `steps_per_execution=16` brings a step to ~0.2 ms (one call per 16 batches; docs/training.md). |
| jax W4 vs native | 1.23 (0.10 vs 0.08 ms) | Within the noise (overlapping ranges). In one process with nothing else running, the same fit measures 0.057 ms/step and the native loop 0.049-0.057 (the median of 15 fits of 60 steps after warm-up, in one process each), and `bench/run.py --workloads W4 --frameworks jax` gives 0.05 vs 0.06-0.07. Fixed since the 2026-11-23 run (1.40): a second `fit()` recompiled the jitted step (the trainer was created before `_prepare`, which drops cached trainers). |
| jax W2 vs Keras 3 | 1.02 | Within the noise: one XLA program of the same convolutions in both. |
| torch W3 vs Keras 3 | 1.01 | Within the noise. Not overhead: unikeras (like Keras) builds MultiHeadAttention from four EinsumDense projections and an explicit softmax (`torch.nn.MultiheadAttention` packs the in-projection and calls `scaled_dot_product_attention`; the native loop is 1.10x faster). |

`train_on_batch` is slower than `fit` on jax and TensorFlow for small models (jax W4
4.5x native): every call converts its logs to Python floats (a host sync, as Keras 3
does) and re-checks the model's preparation; Keras 3's `train_on_batch` is slower still.

**Fixed since the 2026-11-23 run:** a second `fit()` no longer recompiles the step
(jax W4 0.18 → 0.10 ms/step); `steps_per_execution` is real (k batches per compiled call);
torch's loss tracker adds in place and Adam's bias corrections are Python numbers on CPU.

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
(MSE, sparse CE) and for `Mean.result()` (torch W4's remaining ~80 us of tracker and
logs); a shorter dispatch path from `optimizer.apply` to the `_foreach` kernels; keeping
the loss tracker and logs out of the jitted jax step's donated state when no callback
needs per-step logs; a packed-projection + `scaled_dot_product_attention` fast path for
MultiHeadAttention on torch; and a GPU run (`--device cuda`).

**Noise.** The machine has 2 cores, and the run shared them with other jobs at times
(load average in the header). torch uses 2 intra-op threads by default: when another
process takes a core, its tiny ops become 10-30x slower (W4 steps of 20-30 ms were seen
in loaded runs for unikeras, native and Keras alike). Ratios come from interleaved
rounds, so such bursts hit all three; single numbers can be off by tens of percent.
"""
