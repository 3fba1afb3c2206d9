#!/usr/bin/env python3
"""Write NaN into element 0 of an F32 tensor of a GGUF file, in place (test helper).

    gguf_poison.py FILE TENSOR_NAME     prints the byte offset written
A plain reading of the GGUF v2/v3 layout (independent of senti's reader)."""
import struct
import sys

SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def main(path, want):
    with open(path, "r+b") as f:
        buf = f.read()
        pos = 0

        def take(fmt):
            nonlocal pos
            vals = struct.unpack_from("<" + fmt, buf, pos)
            pos += struct.calcsize("<" + fmt)
            return vals[0] if len(vals) == 1 else vals

        def string():
            nonlocal pos
            n = take("Q")
            s = buf[pos:pos + n].decode("utf-8")
            pos += n
            return s

        def skip(vtype):
            nonlocal pos
            if vtype == 8:
                string()
            elif vtype == 9:
                et, count = take("I"), take("Q")
                for _ in range(count):
                    skip(et)
            else:
                pos += SIZES[vtype]

        assert take("4s") == b"GGUF", "not a GGUF file"
        take("I")
        n_tensors, n_kv = take("Q"), take("Q")
        align = 32
        for _ in range(n_kv):
            key, vtype = string(), take("I")
            if key == "general.alignment":
                align = struct.unpack_from("<I", buf, pos)[0]
            skip(vtype)
        target = None
        for _ in range(n_tensors):
            name, n_dims = string(), take("I")
            pos += 8 * n_dims
            ttype, offset = take("I"), take("Q")
            if name == want:
                assert ttype == 0, f"{name} is not F32"
                target = offset
        assert target is not None, f"no tensor {want}"
        at = (pos + align - 1) // align * align + target
        f.seek(at)
        f.write(struct.pack("<f", float("nan")))
        print(at)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
