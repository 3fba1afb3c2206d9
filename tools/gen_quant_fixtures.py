#!/usr/bin/env python3
"""gen_quant_fixtures.py - golden dequantization fixtures for tests/check_quant.c.

The independent reference is gguf-py's numpy dequantizer (gguf.quants). For
every supported ggml type we build a row of deterministic pseudo-random block
bytes (fp16 scale fields overwritten with sane values so that nothing is
inf/NaN), dequantize it with gguf-py, and write one binary fixture:

    tests/data/quant/<TYPE>.bin            (synthetic blocks)
    tests/data/quant/real_<TYPE>.bin       (first blocks of a real model tensor)

Fixture layout (little-endian):
    char     magic[4] = "SQF1"
    u32      ggml type id
    u32      n         elements in the row
    u32      nbytes    bytes of the quantized row
    u8       row[nbytes]
    f32      expected[n]   gguf-py dequantization
    f32      x[n]          a deterministic vector in [-1, 1)
    f64      dot           sum(expected * x), accumulated in float64

Dev-only: run by hand (python3 tools/gen_quant_fixtures.py [models_dir]),
never by `make check`. Needs numpy and the `gguf` package.
"""
import os
import struct
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "quant")

# type -> (blocks in the synthetic row, byte offsets of fp16 scale fields)
SYNTH = {
    T.Q4_0: (8, [0]),
    T.Q4_1: (8, [0, 2]),
    T.Q5_0: (8, [0]),
    T.Q5_1: (8, [0, 2]),
    T.Q8_0: (8, [0]),
    T.Q2_K: (3, [80, 82]),
    T.Q3_K: (3, [108]),
    T.Q4_K: (3, [0, 2]),
    T.Q5_K: (3, [0, 2]),
    T.Q6_K: (3, [208]),
}


def write_fixture(path, qtype, row_bytes, n, rng):
    expected = dequantize(np.frombuffer(row_bytes, dtype=np.uint8), qtype).astype(np.float32)
    expected = expected.reshape(-1)
    assert expected.size == n, (qtype, expected.size, n)
    assert np.all(np.isfinite(expected)), qtype
    x = rng.uniform(-1.0, 1.0, n).astype(np.float32)
    dot = float(np.sum(expected.astype(np.float64) * x.astype(np.float64)))
    with open(path, "wb") as f:
        f.write(b"SQF1")
        f.write(struct.pack("<III", int(qtype), n, len(row_bytes)))
        f.write(row_bytes)
        f.write(expected.astype("<f4").tobytes())
        f.write(x.astype("<f4").tobytes())
        f.write(struct.pack("<d", dot))
    print(f"{os.path.relpath(path)}: {qtype.name} n={n} bytes={len(row_bytes)}")


def synth_quant(qtype, rng):
    nblocks, half_offsets = SYNTH[qtype]
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(nblocks, type_size), dtype=np.uint8)
    for off in half_offsets:
        # magnitudes 1e-3 .. 0.1 with random sign: valid, finite fp16 scales
        mag = np.exp(rng.uniform(np.log(1e-3), np.log(0.1), nblocks))
        sign = np.where(rng.integers(0, 2, nblocks) == 1, -1.0, 1.0)
        h = (mag * sign).astype(np.float16).view(np.uint8).reshape(nblocks, 2)
        raw[:, off:off + 2] = h
    return raw.tobytes(), nblocks * block_size


def synth_float(qtype, rng):
    n = 200  # not a multiple of 8/16/32: exercises the SIMD tails
    vals = (rng.standard_normal(n) * np.exp(rng.uniform(-6, 6, n))).astype(np.float32)
    if qtype == T.F16:
        special = np.array([0.0, -0.0, 65504.0, -65504.0, 6.1035156e-05, 5.9604645e-08,
                            -5.9604645e-08, 3.0517578e-05, 1.0, -2.0], dtype=np.float32)
        vals[:special.size] = special
        return vals.astype(np.float16).tobytes(), n
    if qtype == T.BF16:
        vals[:4] = [0.0, -0.0, 3.0e38, -1.0e-38]
        bits = vals.view(np.uint32)
        return (bits >> 16).astype(np.uint16).tobytes(), n
    return vals.tobytes(), n


def real_tensors(models_dir):
    """First few blocks of one tensor of every type found in the models."""
    picked = {}
    for name in sorted(os.listdir(models_dir)):
        if not name.endswith(".gguf"):
            continue
        reader = gguf.GGUFReader(os.path.join(models_dir, name))
        for t in reader.tensors:
            qt = T(t.tensor_type)
            if qt in picked or qt == T.F32:
                continue
            block_size, type_size = gguf.GGML_QUANT_SIZES[qt]
            nblocks = min(max(1, 1024 // block_size), t.n_elements // block_size)
            data = np.asarray(t.data).view(np.uint8).reshape(-1)[: nblocks * type_size]
            picked[qt] = (data.tobytes(), nblocks * block_size, f"{name}:{t.name}")
    return picked


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    for qtype in SYNTH:
        row, n = synth_quant(qtype, rng)
        write_fixture(os.path.join(OUT, f"{qtype.name}.bin"), qtype, row, n, rng)
    for qtype in (T.F32, T.F16, T.BF16):
        row, n = synth_float(qtype, rng)
        write_fixture(os.path.join(OUT, f"{qtype.name}.bin"), qtype, row, n, rng)
    models_dir = sys.argv[1] if len(sys.argv) > 1 else "models"
    if os.path.isdir(models_dir):
        for qtype, (row, n, src) in real_tensors(models_dir).items():
            print(f"  real tensor {src}")
            write_fixture(os.path.join(OUT, f"real_{qtype.name}.bin"), qtype, row, n, rng)


if __name__ == "__main__":
    main()
