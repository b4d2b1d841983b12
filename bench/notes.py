"""Hand-written analysis included in docs/benchmarks.md by bench/render.py. Update it
when a new run changes the picture (numbers quoted here are from the run it names)."""

NOTES = r"""
## Analysis (written by hand from the CPU run of 2026-11-23, 7 rounds)

**Targets.** unikeras `fit` is within 1.10x of the hand-written loop for 8 of 12
(framework, workload) pairs and faster than Keras 3 `fit` for 10 of 12. Misses:

| pair | ratio | why |
|---|---|---|
| jax W4 vs native | 1.40 (0.18 vs 0.13 ms) | The jitted unikeras step is a bigger program: it takes and donates ~17 buffers (weights, Adam slots, iteration count, loss-tracker total/count) and returns the logs dict each step; the native step moves 4 weights + optax state. In the profile nearly all the time is the one jitted call (`training/jax.py: train_step`, which includes XLA's C++ dispatch); the Python around it (fit loop, batch slicing, callbacks) is ~0.15 ms/step under the profiler, less without it. |
| torch W4 vs native | 1.47 (1.11 vs 0.75 ms) | Eager Python per step: `Layer.__call__` (~15 us a layer), the loss as 5 array-API ops (`losses.mean_squared_error` + `reduce_weighted_values`, vs one fused `MSELoss`), the loss tracker and its `result()` (~10 small tensor ops), and the bias-correction scalars of the `_foreach` Adam. Keras 3's torch `fit` pays the same kinds of costs and is 3.6x slower here. |
| torch W3 vs native | 1.18 (44 vs 38 ms) | Not overhead: unikeras (like Keras) builds MultiHeadAttention from four EinsumDense projections and an explicit softmax; `torch.nn.MultiheadAttention` uses one packed in-projection and the fused `scaled_dot_product_attention`. Keras 3 on torch has the same structure (47 ms). |
| tensorflow W4 vs native | 1.21 (1.01 vs 0.83 ms) | One tf.function call each; the unikeras graph also updates the loss tracker and builds the logs, and `tf.function`'s argument matching of the `(x, y)` batch structure costs ~0.1 ms of Python per call (profile: `function_type` hashing). |
| tensorflow W3 vs Keras 3 | 1.34 (77 vs 57 ms) | Keras 3's `jit_compile="auto"` compiles the TF step with XLA; unikeras' `"auto"` runs `tf.function` without XLA (its docs: XLA only with `jit_compile=True`). unikeras still beats the non-XLA native loop (0.87x). |
| jax W2 vs Keras 3 | 1.07 (119 vs 112 ms) | Within the noise (the min–max ranges overlap); both run one XLA program of the same convolutions. |

`train_on_batch` is slower than `fit` on jax and TensorFlow for small models (jax W4
7x native): every call converts its logs to Python floats (a host sync, as Keras 3
does) and re-checks the model's preparation; Keras 3's `train_on_batch` is slower still.

**Fixed in this round** (each its own commit, before → after, W4 ms/step, unikeras `fit`):

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
