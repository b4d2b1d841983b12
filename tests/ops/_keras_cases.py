"""Cases for tests/ops/test_keras_parity.py: NumPy inputs only, so Keras 3 itself can run
the same cases in a separate process (``python _keras_cases.py OUT.npz``, with
KERAS_BACKEND set) and write the reference outputs.

A case is ``(case_id, op_name, args, kwargs)``; arrays are NumPy arrays, a tuple of two
arrays is a ``(real, imag)`` pair where the op takes one.
"""

import numpy as np

rng = np.random.default_rng(2026)
F = rng.standard_normal((3, 8)).astype("float32")
F3 = rng.standard_normal((2, 3, 4)).astype("float32")
G = (rng.standard_normal((4, 6)) * 3).astype("float32")
POS = (np.abs(F) + 0.25).astype("float32")
NAN = F.copy()
NAN[0, 1] = np.nan
NAN[1, 3] = np.nan
NAN[2, :] = [np.nan, 1.5, -2.0, np.nan, 0.5, 3.0, np.nan, -1.0]
IA = rng.integers(-40, 41, (3, 5)).astype("int32")
IB = rng.integers(1, 25, (3, 5)).astype("int32")
SIG = rng.standard_normal((2, 40)).astype("float32")
IMG = rng.standard_normal((2, 4, 6, 8)).astype("float32")  # NHWC
IMG_CF = rng.standard_normal((2, 3, 6, 8)).astype("float32")  # NCHW
RE = rng.standard_normal((2, 4, 6)).astype("float32")
IM = rng.standard_normal((2, 4, 6)).astype("float32")
SEG = rng.standard_normal((6, 3)).astype("float32")
SEG_IDS = np.array([0, 0, 2, 2, 2, 3], dtype="int32")
DUP = np.array([[3, 1, 3], [2, 1, 3], [3, 1, 3]], dtype="int32")
WIN_N = np.array(7, dtype="int32")
# CTC (own generator: the arrays above stay as they were)
_ctc_rng = np.random.default_rng(77)
CTC_OUT = (_ctc_rng.standard_normal((4, 10, 6)) * 2).astype("float32")
CTC_TGT = np.array([[2, 2, 3, 3, 1], [1, 4, 4, 0, 0], [3, 1, 0, 0, 0], [5, 0, 0, 0, 0]], "int32")
CTC_TL = np.array([5, 3, 2, 1], "int32")
CTC_OL = np.array([10, 7, 5, 3], "int32")
# blank 5: labels may be 0 (the padding value too)
CTC_TGT5 = np.array([[2, 2, 3, 0, 0], [1, 4, 4, 0, 0], [3, 0, 0, 0, 0], [0, 1, 0, 0, 0]], "int32")
CTC_TL5 = np.array([4, 3, 2, 2], "int32")
# decoding: best classes with runs (merged or not), blanks between equal labels
_best = np.array([[1, 1, 0, 2, 2, 2, 0, 1, 3, 3], [4, 0, 4, 4, 5, 5, 5, 0, 0, 2],
                  [0, 0, 3, 3, 0, 3, 1, 1, 1, 1], [2, 5, 5, 0, 5, 1, 0, 0, 4, 4]])
CTC_DEC = (CTC_OUT * 0.4 + 2.5 * np.eye(6)[_best]).astype("float32")

CASES = [
    # activations
    ("celu", "celu", (F,), {"alpha": 0.7}),
    ("glu", "glu", (F,), {}),
    ("glu_axis0", "glu", (G,), {"axis": 0}),
    ("hard_shrink", "hard_shrink", (F,), {"threshold": 0.4}),
    ("hard_tanh", "hard_tanh", (G,), {}),
    ("soft_shrink", "soft_shrink", (F,), {}),
    ("tanh_shrink", "tanh_shrink", (F,), {}),
    ("threshold", "threshold", (F,), {"threshold": 0.1, "default_value": -3.0}),
    ("sparse_plus", "sparse_plus", (G,), {}),
    ("sparse_sigmoid", "sparse_sigmoid", (F,), {}),
    ("squareplus", "squareplus", (F,), {"b": 2}),
    ("sparsemax", "sparsemax", (G,), {}),
    ("sparsemax_axis0", "sparsemax", (G,), {"axis": 0}),
    # math
    ("erfc", "erfc", (G,), {}),
    ("cdist", "cdist", (F3, F3[:, :2]), {}),
    ("segment_min", "segment_min", (SEG, SEG_IDS), {"num_segments": 5}),
    ("segment_prod", "segment_prod", (SEG, SEG_IDS), {"num_segments": 5}),
    ("view_as_complex_real", "view_as_real", ("__complex__", RE, IM), {}),
    ("view_as_complex", "view_as_complex", (np.stack([RE, IM], -1),), {}),
    # fourier
    ("fft", "fft", ((RE, IM),), {}),
    ("fft2", "fft2", ((RE, IM),), {}),
    ("ifft2", "ifft2", ((RE, IM),), {}),
    ("rfft", "rfft", (RE,), {}),
    ("rfft_len", "rfft", (RE,), {"fft_length": 9}),
    ("irfft", "irfft", ((RE[..., :4], IM[..., :4]),), {}),
    ("irfft_len", "irfft", ((RE[..., :4], IM[..., :4]),), {"fft_length": 8}),
    ("stft", "stft", (SIG,), {"sequence_length": 10, "sequence_stride": 4, "fft_length": 16}),
    ("stft_nocenter", "stft", (SIG,), {"sequence_length": 8, "sequence_stride": 5,
                                       "fft_length": 8, "center": False}),
    ("stft_hamming", "stft", (SIG,), {"sequence_length": 16, "sequence_stride": 4,
                                      "fft_length": 16, "window": "hamming"}),
    ("stft_nowin", "stft", (SIG,), {"sequence_length": 16, "sequence_stride": 8,
                                    "fft_length": 16, "window": None}),
    ("istft", "istft", ("__stft__", SIG, 16, 4, 16), {"sequence_length": 16,
                                                      "sequence_stride": 4, "fft_length": 16}),
    ("istft_length", "istft", ("__stft__", SIG, 16, 4, 16),
     {"sequence_length": 16, "sequence_stride": 4, "fft_length": 16, "length": 30}),
    ("istft_nocenter", "istft", ("__stft_nocenter__", SIG, 16, 4, 16),
     {"sequence_length": 16, "sequence_stride": 4, "fft_length": 16, "center": False}),
    # numpy-style
    ("gcd", "gcd", (IA, IB), {}),
    ("lcm", "lcm", (IA, IB), {}),
    ("nanargmax", "nanargmax", (NAN,), {"axis": 1}),
    ("nanargmin", "nanargmin", (NAN,), {"axis": 0, "keepdims": True}),
    ("nanargmax_flat", "nanargmax", (NAN,), {}),
    ("nanmedian", "nanmedian", (NAN,), {"axis": 1}),
    ("nanmedian_all", "nanmedian", (NAN,), {}),
    ("nanquantile", "nanquantile", (NAN, 0.3), {"axis": 1}),
    ("nanquantile_q", "nanquantile", (NAN, np.array([0.1, 0.9], "float32")), {"axis": 0}),
    ("nanpercentile", "nanpercentile", (NAN, 75.0), {"axis": 1, "keepdims": True}),
    ("nanquantile_nearest", "nanquantile", (NAN, 0.4), {"axis": 1, "method": "nearest"}),
    ("histogram", "histogram", (F.reshape(-1),), {"bins": 5}),
    ("histogram_range", "histogram", (F.reshape(-1),), {"bins": 4, "range": (-1.0, 1.0)}),
    ("correlate_valid", "correlate", (SIG[0], SIG[1, :5]), {}),
    ("correlate_same", "correlate", (SIG[0], SIG[1, :5]), {"mode": "same"}),
    ("correlate_full", "correlate", (SIG[0, :7], SIG[1, :5]), {"mode": "full"}),
    ("bartlett", "bartlett", (WIN_N,), {}),
    ("blackman", "blackman", (WIN_N,), {}),
    ("hamming", "hamming", (WIN_N,), {}),
    ("hanning", "hanning", (WIN_N,), {}),
    ("kaiser", "kaiser", (WIN_N,), {"beta": 5.0}),
    ("i0", "i0", (G,), {}),
    ("unique", "unique", (DUP,), {}),
    ("unique_all", "unique", (DUP,), {"return_index": True, "return_inverse": True,
                                      "return_counts": True}),
    ("unique_axis", "unique", (DUP,), {"axis": 0, "return_counts": True}),
    ("unique_size", "unique", (DUP,), {"size": 5, "fill_value": -1}),
    # nn plumbing
    ("normalize", "normalize", (F,), {}),
    ("normalize_l1", "normalize", (F,), {"axis": 0, "order": 1}),
    ("psnr", "psnr", (POS, POS * 0.9), {"max_val": 2.0}),
    ("polar", "polar", (POS, F), {}),
    ("depth_to_space", "depth_to_space", (IMG,), {"block_size": 2}),
    ("depth_to_space_cf", "depth_to_space", (np.concatenate([IMG_CF, IMG_CF[:, :1]], 1),),
     {"block_size": 2, "data_format": "channels_first"}),
    ("space_to_depth", "space_to_depth", (IMG,), {"block_size": 2}),
    ("space_to_depth_cf", "space_to_depth", (IMG_CF,), {"block_size": 2,
                                                       "data_format": "channels_first"}),
    ("unfold", "unfold", (IMG_CF,), {"kernel_size": 3}),
    ("unfold_args", "unfold", (IMG_CF,), {"kernel_size": (2, 3), "dilation": (1, 2),
                                          "padding": 1, "stride": 2}),
    ("fold", "fold", (rng.standard_normal((2, 27, 24)).astype("float32"),),
     {"output_size": (6, 8), "kernel_size": 3}),
    ("fold_args", "fold", (rng.standard_normal((2, 18, 16)).astype("float32"),),
     {"output_size": (6, 8), "kernel_size": (2, 3), "padding": 1, "stride": 2}),
    ("rearrange", "rearrange", (IMG,), {"pattern": "b h w c -> b c (h w)"}),
    # CTC
    ("ctc_loss", "ctc_loss", (CTC_TGT, CTC_OUT, CTC_TL, CTC_OL), {}),
    ("ctc_loss_full_length", "ctc_loss", (CTC_TGT, CTC_OUT, CTC_TL, np.full(4, 10, "int32")), {}),
    ("ctc_loss_mask5", "ctc_loss", (CTC_TGT5, CTC_OUT, CTC_TL5, CTC_OL), {"mask_index": 5}),
    ("ctc_loss_mask2", "ctc_loss", (np.where(CTC_TGT == 2, 0, CTC_TGT), CTC_OUT, CTC_TL,
                                    CTC_OL), {"mask_index": 2}),
    ("ctc_decode_greedy", "ctc_decode", (CTC_DEC, CTC_OL), {}),
    ("ctc_decode_greedy_nomerge", "ctc_decode", (CTC_DEC, CTC_OL), {"merge_repeated": False}),
    ("ctc_decode_greedy_mask5", "ctc_decode", (CTC_DEC, np.full(4, 10, "int32")),
     {"mask_index": 5}),
    ("ctc_decode_greedy_raw", "ctc_decode", (CTC_OUT, CTC_OL), {"strategy": "greedy"}),
    ("ctc_decode_beam", "ctc_decode", (CTC_OUT, CTC_OL),
     {"strategy": "beam_search", "beam_width": 8, "top_paths": 2}),
    ("ctc_decode_beam_peaked", "ctc_decode", (CTC_DEC, CTC_OL),
     {"strategy": "beam_search", "beam_width": 4, "top_paths": 2}),
    ("ctc_decode_beam_mask2", "ctc_decode", (CTC_OUT, CTC_OL),
     {"strategy": "beam_search", "beam_width": 5, "top_paths": 3, "mask_index": 2}),
    ("ctc_decode_beam_default", "ctc_decode", (CTC_OUT * 0.5, np.full(4, 10, "int32")),
     {"strategy": "beam_search"}),
    ("rearrange_split", "rearrange", (IMG,), {"pattern": "b h (w2 w) c -> (b w2) h w c",
                                              "w2": 2}),
    # adaptive pooling (uneven windows), LU, bit views
    ("adaptive_average_pool", "adaptive_average_pool", (IMG[:, :, :7],), {"output_size": (3, 4)}),
    ("adaptive_max_pool", "adaptive_max_pool", (IMG[:, :, :7],), {"output_size": 3}),
    ("adaptive_average_pool_cf", "adaptive_average_pool", (IMG_CF[..., :7],),
     {"output_size": (4, 2), "data_format": "channels_first"}),
    ("adaptive_max_pool_cf", "adaptive_max_pool", (IMG_CF[..., :7],),
     {"output_size": (4, 5), "data_format": "channels_first"}),
    ("lu_factor", "lu_factor", (rng.standard_normal((2, 5, 5)).astype("float32"),), {}),
    ("view_int16", "view", (IA,), {"dtype": "int16"}),
    ("view_float32", "view", (IA,), {"dtype": "float32"}),
]


def resolve_args(args, ops, asarray):
    """Build a case's arguments for ``ops`` (keras.ops or unikeras.ops): NumPy arrays go
    through ``asarray``; markers build complex inputs and stft outputs with the ops."""
    if args and isinstance(args[0], str) and args[0].startswith("__"):
        marker = args[0]
        if marker == "__complex__":
            return (ops.view_as_complex(asarray(np.stack([args[1], args[2]], -1))),)
        seq, fft_len, stride, _ = args[1], args[2], args[3], args[4]
        center = marker == "__stft__"
        return (ops.stft(asarray(seq), fft_len, stride, fft_len, center=center),)
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            out.append(asarray(a))
        elif isinstance(a, tuple) and all(isinstance(v, np.ndarray) for v in a):
            out.append(tuple(asarray(v) for v in a))
        else:
            out.append(a)
    return tuple(out)


def _flatten(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


if __name__ == "__main__":  # run by Keras 3 in a subprocess: write reference outputs
    import sys

    import keras

    refs = {}
    for cid, name, args, kwargs in CASES:
        try:
            out = getattr(keras.ops, name)(*resolve_args(args, keras.ops, keras.ops.convert_to_tensor),
                                           **kwargs)
        except Exception as e:  # recorded, so the test says what Keras refused
            refs[f"{cid}__error"] = np.array(f"{type(e).__name__}: {e}")
            continue
        for i, o in enumerate(_flatten(out)):
            refs[f"{cid}__{i}"] = np.asarray(keras.ops.convert_to_numpy(o))
    np.savez(sys.argv[1], **refs)
