#!/usr/bin/env python3
"""Check the layering of src/: no circles between files, calls and includes only downwards.

    tools/layers.py BUILD_DIR [ROOT]  (after `make`; reads BUILD_DIR/obj/**/*.o with nm;
                                       ROOT, the tree holding src/ and include/senti/, defaults
                                       to this checkout)

src/NN-name/ is layer NN (main.c is above all of them). The rules:
  1. calls: a symbol that a file uses and another file defines (from `nm`) lives in the
     same layer or a lower one;
  2. includes: a file includes private headers of its own or lower layers, and public
     headers (include/senti/X.h) whose functions are defined in its own or lower layers;
  3. no circles between files, neither in the call graph nor in the include graph.
Prints every violation and the counts; exit 1 if any, 2 on usage errors.
"""
import os
import re
import subprocess
import sys

ROOT = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
INC = os.path.join(ROOT, "include", "senti")
TOP = 99  # main.c


def layer_of(rel):
    """Layer number of a path relative to src/ ("03-model/forward.c" -> 3)."""
    m = re.match(r"(\d+)-[a-z]+/", rel)
    return int(m.group(1)) if m else TOP


def nm(path, args):
    out = subprocess.run(["nm"] + args + [path], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines() if line.strip()]


def call_graph(build):
    defs, uses = {}, {}
    objroot = os.path.join(build, "obj")
    for dirpath, _, files in os.walk(objroot):
        for f in files:
            if not f.endswith(".o"):
                continue
            obj = os.path.join(dirpath, f)
            rel = os.path.relpath(obj, objroot)[:-2] + ".c"
            if not os.path.exists(os.path.join(SRC, rel)):
                continue  # a stale object of a moved or deleted file
            for parts in nm(obj, ["--defined-only", "-g"]):
                if len(parts) == 3 and parts[1] in "TDBRVW":
                    defs[parts[2]] = rel
            uses[rel] = {parts[-1] for parts in nm(obj, ["-u"])}
    if not uses:
        sys.exit(f"layers: no objects under {objroot} (run make first)")
    edges = {f: {defs[s] for s in syms if s in defs and defs[s] != f} for f, syms in uses.items()}
    return defs, edges


def header_layers(defs):
    """Public header -> the highest layer defining a function it declares."""
    layers = {}
    for h in sorted(os.listdir(INC)) if os.path.isdir(INC) else ():
        text = open(os.path.join(INC, h)).read()
        declared = set(re.findall(r"\b(senti_\w+)\s*\(", text))
        found = [layer_of(defs[s]) for s in declared if s in defs]
        layers["senti/" + h] = max(found) if found else 0
    return layers


def include_graph():
    edges = {}
    for dirpath, _, files in os.walk(SRC):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, SRC)
            incs = set()
            for inc in re.findall(r'^\s*#\s*include\s+"([^"]+)"', open(path).read(), re.M):
                local = os.path.join(os.path.dirname(rel), inc)
                incs.add(local if os.path.exists(os.path.join(SRC, local)) else inc)
            edges[rel] = incs
    return edges


def circles(edges):
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index, low, onstack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        onstack.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    onstack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                elif nxt in onstack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    onstack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    defs, calls = call_graph(sys.argv[1])
    hlayer = header_layers(defs)
    incs = include_graph()
    bad = []
    for f, targets in sorted(calls.items()):
        for t in sorted(targets):
            if layer_of(t) > layer_of(f):
                bad.append(f"call upwards: {f} (layer {layer_of(f)}) -> {t} (layer {layer_of(t)})")
    for f, targets in sorted(incs.items()):
        for t in sorted(targets):
            tl = hlayer.get(t, layer_of(t) if re.match(r"\d+-", t) else 0)
            if tl > layer_of(f):
                bad.append(f"include upwards: {f} (layer {layer_of(f)}) -> {t} (layer {tl})")
    for kind, graph in (("call", calls), ("include", incs)):
        for comp in circles(graph):
            bad.append(f"{kind} circle: " + " <-> ".join(comp))
    for line in bad:
        print("layers: " + line)
    n_calls = sum(len(t) for t in calls.values())
    n_incs = sum(len(t) for t in incs.values())
    print(f"layers: {len(calls)} files, {n_calls} call edges, {n_incs} include edges, {len(bad)} violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
