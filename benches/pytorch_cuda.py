#!/usr/bin/env python3
"""PyTorch on CUDA over `wgpool bench`'s suite (src/suite.rs): the same shapes, arguments and
effective-bytes rule, so the two JSON files compare row by row.

    python3 benches/pytorch_cuda.py --json torch.json

Each op is captured 50 times into a CUDA graph and the graph replayed between CUDA events, so
the figure is GPU time per call without Python's launch overhead (as wgpool's timestamps are).
Median of 11 replays. The yardstick is `Tensor.copy_` over the same number of bytes.
"""

import argparse
import json
import statistics

import torch
import torch.nn.functional as F

CALLS_PER_GRAPH = 50
REPLAYS = 11
STEM = (8, 64, 112, 112)


def values(shape, seed):
    generator = torch.Generator(device="cuda").manual_seed(seed)
    return torch.rand(shape, device="cuda", generator=generator) * 4 - 2


def suite():
    """(op, shape, args, inputs -> (outputs...)) in wgpool's suite order."""
    stem_indices = F.max_pool2d(values(STEM, 2), 3, 2, 1, return_indices=True)[1]
    samples = torch.rand((8, 64, 2), device="cuda") * 0.999
    return [
        ("max_pool2d", STEM, "k3 s2 p1", lambda x: F.max_pool2d(x, 3, 2, 1)),
        ("max_pool2d", STEM, "k3 s2 p1, indices",
         lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True)),
        ("max_pool2d", (8, 512, 14, 14), "k2 s2", lambda x: F.max_pool2d(x, 2, 2)),
        ("max_pool2d", STEM, "k2 s2", lambda x: F.max_pool2d(x, 2, 2)),
        ("avg_pool2d", (8, 512, 14, 14), "k2 s2", lambda x: F.avg_pool2d(x, 2, 2)),
        ("avg_pool2d", STEM, "k2 s2", lambda x: F.avg_pool2d(x, 2, 2)),
        ("adaptive_avg_pool2d", (8, 2048, 7, 7), "to 1", lambda x: F.adaptive_avg_pool2d(x, 1)),
        ("adaptive_avg_pool2d", STEM, "to 1", lambda x: F.adaptive_avg_pool2d(x, 1)),
        ("adaptive_avg_pool2d", (8, 1024, 14, 14), "14 to 7",
         lambda x: F.adaptive_avg_pool2d(x, 7)),
        ("adaptive_max_pool2d", (8, 1024, 14, 14), "14 to 7",
         lambda x: F.adaptive_max_pool2d(x, 7)),
        ("max_pool1d", (32, 256, 4096), "k4 s4", lambda x: F.max_pool1d(x, 4, 4)),
        ("max_pool3d", (2, 32, 16, 56, 56), "k2", lambda x: F.max_pool3d(x, 2, 2)),
        ("avg_pool3d", (2, 32, 16, 56, 56), "k2", lambda x: F.avg_pool3d(x, 2, 2)),
        ("max_unpool2d", (8, 64, 56, 56), "k3 s2 p1 of the stem, to 112",
         lambda x: F.max_unpool2d(x, stem_indices, 3, 2, 1, output_size=(112, 112))),
        ("lp_pool2d", STEM, "p=2 k2", lambda x: F.lp_pool2d(x, 2.0, 2)),
        ("fractional_max_pool2d", STEM, "k2 out 0.5",
         lambda x: F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), _random_samples=samples)),
        ("fractional_max_pool2d", STEM, "k3 out 0.5",
         lambda x: F.fractional_max_pool2d(x, 3, output_ratio=(0.5, 0.5), _random_samples=samples)),
        ("max_pool2d", STEM, "k3 s2 p1, NHWC", lambda x: F.max_pool2d(x, 3, 2, 1)),
        ("max_pool2d", STEM, "k3 s2 p1, indices, NHWC",
         lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True)),
        ("max_pool2d", (8, 512, 14, 14), "k2 s2, NHWC", lambda x: F.max_pool2d(x, 2, 2)),
        ("max_pool2d", STEM, "k2 s2, NHWC", lambda x: F.max_pool2d(x, 2, 2)),
        ("avg_pool2d", (8, 512, 14, 14), "k2 s2, NHWC", lambda x: F.avg_pool2d(x, 2, 2)),
        ("avg_pool2d", STEM, "k2 s2, NHWC", lambda x: F.avg_pool2d(x, 2, 2)),
        ("adaptive_avg_pool2d", (8, 2048, 7, 7), "to 1, NHWC",
         lambda x: F.adaptive_avg_pool2d(x, 1)),
        ("adaptive_avg_pool2d", (8, 1024, 14, 14), "14 to 7, NHWC",
         lambda x: F.adaptive_avg_pool2d(x, 7)),
        ("max_pool3d", (2, 32, 16, 56, 56), "k2, NDHWC", lambda x: F.max_pool3d(x, 2, 2)),
        ("avg_pool3d", (2, 32, 16, 56, 56), "k2, NDHWC", lambda x: F.avg_pool3d(x, 2, 2)),
        ("max_pool2d", STEM, "k3 s2 p1, f16", lambda x: F.max_pool2d(x, 3, 2, 1)),
        ("max_pool2d", STEM, "k2 s2, f16", lambda x: F.max_pool2d(x, 2, 2)),
        ("avg_pool2d", STEM, "k2 s2, f16", lambda x: F.avg_pool2d(x, 2, 2)),
        ("adaptive_avg_pool2d", (8, 2048, 7, 7), "to 1, f16",
         lambda x: F.adaptive_avg_pool2d(x, 1)),
        ("lp_pool2d", STEM, "p=2 k2, f16", lambda x: F.lp_pool2d(x, 2.0, 2)),
        ("max_pool2d", STEM, "k3 s2 p1, NHWC, f16", lambda x: F.max_pool2d(x, 3, 2, 1)),
        ("avg_pool2d", STEM, "k2 s2, NHWC, f16", lambda x: F.avg_pool2d(x, 2, 2)),
    ], stem_indices


def gpu_ms(work):
    """Median GPU milliseconds per call of `work`, from CUDA-graph replays."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            work()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(CALLS_PER_GRAPH):
            work()
    times = []
    for _ in range(REPLAYS):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / CALLS_PER_GRAPH)
    return statistics.median(times)


def nbytes(tensors):
    return sum(t.numel() * t.element_size() for t in tensors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the results here, in wgpool bench's format")
    args = parser.parse_args()

    rows = []
    cases, stem_indices = suite()
    for op, shape, op_args, call in cases:
        x = values(shape, 1)
        if op_args.endswith("f16"):
            x = x.half()
        if "NHWC" in op_args or "NDHWC" in op_args:
            layout = torch.channels_last if len(shape) == 4 else torch.channels_last_3d
            x = x.contiguous(memory_format=layout)
        outputs = call(x)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        # Effective bytes as wgpool counts them: inputs read once, outputs written once.
        read = nbytes([x]) + (nbytes([stem_indices]) if op == "max_unpool2d" else 0)
        moved = read + nbytes(outputs)
        ms = gpu_ms(lambda: call(x))
        source = torch.empty(moved // 8, device="cuda")
        target = torch.empty_like(source)
        copy_ms = gpu_ms(lambda: target.copy_(source))
        gbps = moved / ms / 1e6
        copy_gbps = 2 * source.numel() * 4 / copy_ms / 1e6
        rows.append({"op": op, "shape": list(shape), "args": op_args,
                     "dtype": str(x.dtype).removeprefix("torch."), "ms": ms, "gbps": gbps,
                     "copy_gbps": copy_gbps, "ratio_to_copy": gbps / copy_gbps})
        print(f"{op:<22} {str(list(shape)):<20} {op_args:<30} {ms:9.4f} ms {gbps:8.1f} GB/s "
              f"copy {copy_gbps:8.1f} ratio {gbps / copy_gbps:5.2f}")

    if args.json:
        document = {
            "adapter": {"name": torch.cuda.get_device_name(), "backend": "CUDA",
                        "driver": f"torch {torch.__version__}, CUDA {torch.version.cuda}"},
            "timing": "cuda-graph events",
            "results": rows,
        }
        with open(args.json, "w") as file:
            json.dump(document, file, indent=2)


if __name__ == "__main__":
    main()
