"""Benchmark: the cost of :func:`revcomp.trace.trace` against the fused ``nn.LSTM`` forward.

Measures, on the same batch of delayed L=5 inputs (default 100,000 sequences):

- wall time of the fused forward (``model(tokens)``: one-hot, ``nn.LSTM``,
  readout) and of ``trace`` (every internal at every step), best of
  ``--repeats``, and their ratio (goal: <= 2x), for each thread count;
- the same at a small batch (1,024), where Python overhead per step matters more;
- memory of one trace: the bytes of the cache's tensors (unique storages) and
  the process's peak-RSS growth (``resource.ru_maxrss``) while tracing, measured
  first, before anything else has raised the peak. ``tracemalloc`` does not see
  torch's CPU allocations, so it is reported only for the Python side.

Prints the numbers and writes ``benchmarks/results/trace.json``::

    python benchmarks/trace.py [--sequences 100000] [--threads 1,2] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import torch

from revcomp.model import Config, build_model
from revcomp.pretrained import load_model, shipped_models
from revcomp.tasks import random_sequences
from revcomp.trace import trace

RESULTS = Path(__file__).resolve().parent / "results" / "trace.json"


def best_times(fns, repeats: int) -> list[float]:
    """Best wall time of each function over ``repeats`` rounds, calls interleaved so that load
    from other processes hits both alike (one warm-up call each first)."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def cache_bytes(cache) -> int:
    """Bytes held by the cache's tensors, counting each shared storage once."""
    seen = {}
    for name in cache.names:
        storage = cache[name].untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


def max_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=100_000)
    parser.add_argument("--threads", default="1,2", help="comma-separated torch thread counts")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]

    if "delayed-L5-H8" in shipped_models():
        model, source = load_model("delayed-L5-H8"), "shipped delayed-L5-H8"
    else:  # timing does not depend on the weights
        model = build_model(Config(task="delayed", length=5, hidden_size=8)).eval()
        source = "random delayed-L5-H8"
    seqs = random_sequences(args.sequences, 5, torch.Generator().manual_seed(0))
    small = seqs[:1024]

    # Memory first, so the peak-RSS growth is this trace's own.
    torch.set_num_threads(threads[0])
    rss_before = max_rss_bytes()
    tracemalloc.start()
    start = time.perf_counter()
    cache = trace(model, seqs)
    first_seconds = time.perf_counter() - start
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_growth = max_rss_bytes() - rss_before
    tensor_bytes = cache_bytes(cache)
    del cache

    def fused(batch):
        def run():
            with torch.no_grad():
                model(model.task.inputs(batch))

        return run

    def traced(batch):
        return lambda: trace(model, batch)

    timings = []
    for n_threads in threads:
        torch.set_num_threads(n_threads)
        for label, batch in (("large", seqs), ("small", small)):
            repeats = args.repeats if label == "large" else max(args.repeats, 25)
            fused_s, trace_s = best_times([fused(batch), traced(batch)], repeats)
            timings.append(
                {
                    "threads": n_threads,
                    "batch": int(batch.shape[0]),
                    "fused_seconds": fused_s,
                    "trace_seconds": trace_s,
                    "ratio": trace_s / fused_s,
                    "trace_sequences_per_second": batch.shape[0] / trace_s,
                    "fused_sequences_per_second": batch.shape[0] / fused_s,
                    "which": label,
                }
            )

    result = {
        "benchmark": "trace vs fused nn.LSTM forward, delayed L=5 H=8",
        "model": source,
        "sequences": args.sequences,
        "steps": model.task.n_steps,
        "memory": {
            "cache_tensor_bytes": tensor_bytes,
            "cache_tensor_megabytes": tensor_bytes / 2**20,
            "bytes_per_sequence": tensor_bytes / args.sequences,
            "peak_rss_growth_bytes": rss_growth,
            "peak_rss_growth_megabytes": rss_growth / 2**20,
            "tracemalloc_python_peak_bytes": python_peak,
            "first_trace_seconds": first_seconds,
            "threads": threads[0],
        },
        "timings": timings,
        "goal_ratio": 2.0,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "platform": platform.platform(),
        },
        "note": "best of interleaved repeats after a warm-up; the machine may be shared (check load), "
        "so the ratio is the stable number",
    }
    print(f"trace benchmark: {source}, {args.sequences:,} sequences x {model.task.n_steps} steps")
    for row in timings:
        print(
            f"  threads={row['threads']} batch={row['batch']:>7,}: "
            f"fused {row['fused_seconds'] * 1000:8.1f} ms, "
            f"trace {row['trace_seconds'] * 1000:8.1f} ms, ratio {row['ratio']:.2f}x "
            f"({row['trace_sequences_per_second']:,.0f} seq/s traced)"
        )
    mem = result["memory"]
    print(
        f"  memory for one trace of {args.sequences:,}: "
        f"cache tensors {mem['cache_tensor_megabytes']:.1f} MiB "
        f"({mem['bytes_per_sequence']:.0f} B/sequence), "
        f"peak RSS growth {mem['peak_rss_growth_megabytes']:.1f} MiB, "
        f"first (cold) trace {first_seconds:.2f} s"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"  wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
