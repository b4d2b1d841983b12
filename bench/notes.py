"""Hand-written analysis included in docs/benchmarks.md by bench/render.py. Update it
when a new run changes the picture (numbers quoted here are from the run it names)."""

NOTES = r"""
## Analysis (written by hand from the CPU run of 2026-12-05 21:58, 9 rounds, load ~1)

**What changed in the measurement since the 19:25 report.** (1) Every worker (unikeras,
native and Keras 3, on every framework) runs with glibc's heap trimming off, a 1 GB mmap
threshold and one malloc arena (`GLIBC_TUNABLES=glibc.malloc.trim_threshold=1000000000:
glibc.malloc.mmap_threshold=1000000000:glibc.malloc.arena_max=1`, set by bench/run.py in the
workers' environment only; the library never touches the allocator; `--default-malloc`
measures without), its warm-up repeats each measurement until it takes under 50 minor page
faults per step, and the tables show faults per step. With glibc's defaults a torch W2 step
handed ~40 MB of freed activations back to the OS and faulted them in again, ~10,000 faults
per step (~2 us each) in unikeras and the native loop alike, with counts that depended on
the process' heap layout (3,900 and 7,900 per step for the same fit in two fresh
processes): that, not unikeras, was the 19:25 report's torch W2 1.41. XLA:CPU's per-thread
arenas gave the native jax W6 loop ~20,700 faults per step (now 0). (2) The native loops
got harder to beat: the torch conv loops (W2, W6) are channels_last throughout (W6 0.73x the
NCHW loop's step at one thread; W2 equal), the jax W6 loop computes BatchNorm's moments in
one pass (0.88x). (3) W7's fit measurement has 16 steps instead of 4 (30 ms measurements
whose medians moved by 15% from run to run).

**What changed in unikeras** (torch unless named; each measured side by side with thread
CPU time, see docs/architecture.md): Adam's fused kernel runs from a plan checked once and
revalidated by identity (`optimizer.apply` 37 -> 22 us on W4); `fit` calls the per-batch
callback hooks only when a callback overrides them; BatchNormalization in training is
`F.batch_norm` (`nn_ops.batch_norm_training`; W6 1,227 -> 867 aten calls per step, fit/native
1.21 -> 1.03 at one thread against the channels_last loop); LayerNormalization over trailing
axes is `F.layer_norm` (W3 592 -> 446 aten calls); Conv1D/2D/3D add their bias inside
`F.convNd`; `SparseCategoricalCrossentropy()` is one `cross_entropy` node once `fit` has
checked the labels (W5 loss fwd+bwd 138 -> 54 us); Embedding is `F.embedding`; the fused
LSTM copies its transposed weights once per call, returns its final state directly and
gets views for zero initial states; on TensorFlow the RNN time loop unstacks its inputs once
(W5 TF 1.14-1.21x -> 0.91-1.02x under load).

**Targets.** unikeras `fit` is within 1.10x of the hand-written loop for 20 of 21
(framework, workload) pairs: every jax and TensorFlow pair, and torch W2-W7 (torch W4
0.96: 0.29 vs 0.30 ms). torch W1 is at the line: 1.10 (4.61 vs 4.18 ms, overlapping
ranges). W4 is within 1.10x on all three (jax 0.89, torch 0.96, TensorFlow 0.92). unikeras
`fit` is faster than Keras 3 `fit` for 18 of 21 pairs; the three misses are jax (W2 1.09,
W5 1.09, W6 1.02), all three within the noise (overlapping ranges). Keras 3's torch `fit` is 1.2-5.6x slower than unikeras'.

**Run to run.** Two 5-round runs earlier this evening (21:39 and 21:49, the same code but
W7's 4 steps) gave these fit/native ratios above 1.10: torch W7 1.17 (21:39); jax W4 1.25
and TensorFlow W6 1.17 (21:49), each with overlapping ranges and each at or under 1.08 in
the other two runs. torch W1 measured 1.02, 1.05 and 1.10 in the three runs, and 0.99, 1.10
and 1.25 in three 15-round runs of W1 alone (`bench/run.py --frameworks torch --workloads W1
--repeats 15 --no-keras`): a 4 ms step on two cores, where a core taken by anything else
for a moment moves a median by 10%. Its kernels are the native loop's: `addmm` forward, the
same three GEMM shapes backward (each within 2% of the native layout's in isolation at two
threads, the (in, out) kernel's weight gradient 11% faster), one `cross_entropy` node; a
step issues fewer aten calls than the native one (122 vs 159, with `torch.optim`'s own
bookkeeping).

| remaining | ratio | why |
|---|---|---|
| torch W1 vs native | 1.10 (4.61 vs 4.18 ms) | At the line and within the noise (above). What unikeras adds is ~50 us of eager Python per step (Keras' layer calls, the compiled-loss container, the optimizer's checks), ~1% of this step. |
| torch W5 vs native | 1.01 (8.18 vs 8.12 ms) | Met. Still paid: Keras' (in, 4*units) kernels are transposed for oneDNN every step and their gradients back (4 copies), and ~150 us of eager Python in the layers' calls. |
| torch W6 vs native | 1.03 (32.2 vs 31.3 ms) | Met against the channels_last loop. Keras' `same` padding with stride 2 is asymmetric ((0, 1)), which torch's convolution cannot take: one `F.pad` copy of the block's input and its backward per step (~0.5 ms); the native loop pads (1, 1) inside the kernel (a different model, same FLOPs). |
| jax vs Keras 3, W5 | 1.09 | Both scan the LSTM cell under `jax.jit`; moving the input projection out of the scan (one (B*T, E) x (E, 4U) matmul) measured no faster on XLA:CPU, so it was not done. |

`train_on_batch` is slower than `fit` for small models on jax and TensorFlow (jax W4 4.3x
native): every call converts its logs to Python floats (a host sync, as Keras 3 does)
and re-checks the model's preparation; Keras 3's `train_on_batch` is slower still.

**No GPU** was lent to this work: `--device cuda` has not run, so the GPU targets
(fit <= 1.10x native per framework on a GPU, W3 at >= 50% of the matmul peak, no host sync
per step) are unmeasured.

**Noise.** The machine has 2 cores. torch uses 2 intra-op threads by default: when
another process takes a core, its tiny ops become 10-30x slower. Ratios come from
interleaved rounds, so such bursts hit all three; single numbers can be off by tens of
percent, and ratios in italics are within the run's noise.
"""
