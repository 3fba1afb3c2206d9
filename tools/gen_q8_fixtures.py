#!/usr/bin/env python3
"""gen_q8_fixtures.py - golden 8-bit activation quantizations for tests/check_quant_q8.c.

Dev-only fixture generator (never run by `make check`):

    python3 tools/gen_q8_fixtures.py [--out tests/data/quant/q8_acts.bin]

An independent numpy implementation of ggml's activation quantizers
(ggml-quants.c: quantize_row_q8_0_ref, quantize_row_q8_1_ref,
quantize_row_q8_K_ref), written from their definitions:

  Q8_0  per 32: amax = max|x|, d = amax/127, id = 1/d (0 if d == 0),
        q = roundf(x*id) (half away from zero); fp16 d, i8 q[32]      (34 B)
  Q8_1  as Q8_0, plus s = fp16((float)sum(q) * d); fp16 d, fp16 s, q (36 B)
  Q8_K  per 256: max = signed value of the first largest |x|;
        all zero -> d = 0, q = 0; else iscale = -127/max,
        q = min(127, nearest_int(iscale*x)) (half to even), d = 1/iscale;
        f32 d, i8 q[256], i16 bsums[16] (sums of 16 quants)             (292 B)
All arithmetic in float32 like the C code; rounding decided in float64 (exact).

File layout (little-endian): "SQ8A", u32 rows, u32 n, then per row
f32 x[n], Q8_0 bytes, Q8_1 bytes, Q8_K bytes.
"""
import argparse
import os
import struct

import numpy as np

F32 = np.float32


def round_away(v):
    v = v.astype(np.float64)
    return (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64)


def q8_block32(x):
    amax = np.max(np.abs(x)).astype(F32)
    d = F32(amax / F32(127))
    idv = F32(F32(1) / d) if d != 0 else F32(0)
    q = round_away((x * idv).astype(F32))
    return d, q


def q8_0(x):
    out = bytearray()
    for b in x.reshape(-1, 32):
        d, q = q8_block32(b)
        out += np.float16(d).tobytes() + q.astype(np.int8).tobytes()
    return bytes(out)


def q8_1(x):
    out = bytearray()
    for b in x.reshape(-1, 32):
        d, q = q8_block32(b)
        s = F32(F32(int(q.sum())) * d)
        out += np.float16(d).tobytes() + np.float16(s).tobytes() + q.astype(np.int8).tobytes()
    return bytes(out)


def q8_k(x):
    out = bytearray()
    for b in x.reshape(-1, 256):
        ax = np.abs(b)
        amax = ax.max()
        if amax == 0:
            out += struct.pack("<f", 0.0) + bytes(256) + bytes(32)
            continue
        mx = b[int(np.argmax(ax))]  # first occurrence of the largest |x|
        iscale = F32(F32(-127) / mx)
        v = (iscale * b).astype(F32).astype(np.float64)
        q = np.minimum(127, np.rint(v)).astype(np.int64)  # rint: half to even
        d = F32(F32(1) / iscale)
        bs = q.reshape(16, 16).sum(axis=1).astype(np.int16)
        out += np.float32(d).tobytes() + q.astype(np.int8).tobytes() + bs.tobytes()
    return bytes(out)


def rows(n):
    rng = np.random.default_rng(20240611)
    r = []
    r.append(rng.normal(0, 1, n).astype(F32))                       # plain
    x = rng.normal(0, 0.05, n).astype(F32)                          # outliers
    x[rng.integers(0, n, 12)] = rng.normal(0, 20, 12).astype(F32)
    r.append(x)
    x = rng.normal(0, 1, n).astype(F32)                             # a zero block, a zero super-block
    x[32:64] = 0
    x[512:768] = 0
    r.append(x)
    # ties: with max |x| = 127 the scale is exactly 1 (legacy) / -1 (K), so
    # the k + 0.5 values land exactly halfway between two integers.
    x = (np.arange(n) % 61 - 30 + 0.5).astype(F32)
    x[0::32] = 127.0
    x[5::256] = -127.0                                              # |max| tie: first wins
    r.append(x)
    x = rng.normal(0, 1, n).astype(F32)                             # negative max
    x[100] = -9.0
    r.append(x)
    x = (rng.normal(0, 1, n) * 1e-3).astype(F32)                    # small scale
    r.append(x)
    return r


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "quant", "q8_acts.bin"))
    a = ap.parse_args()
    n = 1024
    data = rows(n)
    with open(a.out, "wb") as f:
        f.write(b"SQ8A" + struct.pack("<II", len(data), n))
        for x in data:
            f.write(x.astype("<f4").tobytes() + q8_0(x) + q8_1(x) + q8_k(x))
    print("wrote", a.out, os.path.getsize(a.out), "bytes")


if __name__ == "__main__":
    main()
