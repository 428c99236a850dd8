#!/usr/bin/env python3
"""The README's side-by-side table from `wgpool bench --json` and `pytorch_cuda.py --json` files
taken on the same machine: rows matched by op, shape and arguments, in wgpool's suite order.

    python3 benches/side_by_side.py vulkan.json torch.json

Prints a Markdown table, then the rows either file lacks (to stderr). Exits with 1 when the two
files share no row.
"""

import argparse
import json
import sys


def rows_by_key(path):
    with open(path) as f:
        document = json.load(f)
    keyed = {}
    for row in document["results"]:
        keyed[(row["op"], tuple(row["shape"]), row["args"])] = row
    return document, keyed


def shape_text(shape):
    return "×".join(str(size) for size in shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wgpool", help="wgpool bench --json output")
    parser.add_argument("pytorch", help="benches/pytorch_cuda.py --json output")
    args = parser.parse_args()

    wgpool_doc, wgpool = rows_by_key(args.wgpool)
    torch_doc, torch = rows_by_key(args.pytorch)
    print(f"wgpool: {wgpool_doc['adapter'].get('name')} ({wgpool_doc.get('timing')} timing); "
          f"PyTorch: {torch_doc['adapter'].get('name')}")
    print()
    print("| op | shape | args | wgpool µs | wgpool GB/s | ratio to wgpool copy "
          "| PyTorch CUDA µs | PyTorch GB/s | PyTorch time ÷ wgpool time |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    shared = 0
    for key, ours in wgpool.items():
        theirs = torch.get(key)
        if theirs is None:
            continue
        shared += 1
        op, shape, op_args = key
        print(f"| {op} | {shape_text(shape)} | {op_args} | {ours['ms'] * 1000:.1f} "
              f"| {ours['gbps']:.0f} | {ours['ratio_to_copy']:.2f} | {theirs['ms'] * 1000:.1f} "
              f"| {theirs['gbps']:.0f} | {theirs['ms'] / ours['ms']:.2f} |")
    for name, mine, other in [("PyTorch", wgpool, torch), ("wgpool", torch, wgpool)]:
        for key in mine.keys() - other.keys():
            print(f"not in the {name} file: {key}", file=sys.stderr)
    if shared == 0:
        sys.exit("the two files share no row: were they taken over the same suite?")


if __name__ == "__main__":
    main()
