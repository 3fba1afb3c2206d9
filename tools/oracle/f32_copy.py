#!/usr/bin/env python3
"""f32_copy.py - write a GGUF whose every tensor is the F32 dequantization of
another GGUF's (same metadata, same tensor names and shapes). Dev-only; needs
the `gguf` package from PyPI (gguf-py, llama.cpp's own reader/writer).

    f32_copy.py SRC.gguf DST.gguf

With it, llama.cpp computes from exactly the numbers senti computes from, in
float32, without its quantized-activation matrix products: the oracle for
gen_logits.py --f32.
"""
import sys

import numpy as np
import gguf
from gguf import GGUFReader, GGUFValueType, GGUFWriter


def field_value(f):
    t = f.types[0]
    if t == GGUFValueType.ARRAY:
        if f.types[1] == GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8", "surrogateescape") for i in f.data]
        return [f.parts[i][0].item() for i in f.data]
    if t == GGUFValueType.STRING:
        return bytes(f.parts[f.data[0]]).decode("utf-8", "surrogateescape")
    return f.parts[f.data[0]][0].item()


def f32_copy(src, dst):
    r = GGUFReader(src)
    w = GGUFWriter(dst, field_value(r.fields["general.architecture"]))
    for name, f in r.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        sub = f.types[1] if f.types[0] == GGUFValueType.ARRAY else None
        w.add_key_value(name, field_value(f), f.types[0], sub_type=sub)
    # Tensor infos first, then one tensor at a time: peak memory is the
    # largest tensor, not the whole F32 model (1.5B: ~7 GB).
    shapes = [tuple(int(x) for x in reversed(t.shape)) for t in r.tensors]
    for t, shape in zip(r.tensors, shapes):
        w.add_tensor_info(t.name, shape, np.dtype(np.float32), 4 * int(np.prod(shape)))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for t, shape in zip(r.tensors, shapes):
        a = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        w.write_tensor_data(a.reshape(shape))
    w.close()


if __name__ == "__main__":
    f32_copy(sys.argv[1], sys.argv[2])
