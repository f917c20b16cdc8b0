"""Training throughput of the fused ``nn.LSTM`` against a step-by-step Python loop, and time to target.

Run from the repository root (one torch thread; ``nice`` it on a shared machine)::

    python benchmarks/sweep_throughput.py            # ~1 minute (1.5 s per measurement)
    python benchmarks/sweep_throughput.py --quick    # a few seconds, for a smoke check

Two measurements, written to ``benchmarks/results/sweep_throughput.json``:

1. **Throughput** (training sequences per second: forward, backward, clip and
   Adam step on a batch of 256 fresh sequences) of

   * ``fused``: the model as trained, ``nn.LSTM`` (one C++ call for all steps);
   * ``loop``: the same weights run one step at a time from Python with an
     ``nn.LSTMCell`` sharing the ``nn.LSTM`` weights (checked against the fused
     output before timing). The interpretability path, ``revcomp.trace.trace``,
     is also a step-by-step Python loop, but it runs under ``torch.no_grad()``
     and writes into preallocated buffers, so it cannot be trained through;

   and the **forward-only** throughput (no gradients; sequences per second) of
   ``fused`` against ``revcomp.trace.trace`` (which also keeps every gate and
   state), when ``revcomp/trace.py`` is present.

2. **Time to target** per configuration, read from the committed sweep results
   (``revcomp/results/capacity.jsonl``): median steps and seconds over the
   seeds that solved it. Those seconds were measured on a 2-core machine shared
   with other jobs, so they are indicative.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

from revcomp.model import Config, build_model
from revcomp.tasks import Task, random_sequences
from revcomp.trace import trace

OUT = Path(__file__).parent / "results" / "sweep_throughput.json"


def loop_forward(model, tokens: torch.Tensor) -> torch.Tensor:
    """Logits ``(batch, steps, 4)``, one step at a time, with an ``nn.LSTMCell`` sharing the weights."""
    lstm = model.lstm
    cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size)
    cell.weight_ih = lstm.weight_ih_l0
    cell.weight_hh = lstm.weight_hh_l0
    cell.bias_ih = lstm.bias_ih_l0
    cell.bias_hh = lstm.bias_hh_l0
    x = model.one_hot(tokens)
    h = x.new_zeros(x.shape[0], lstm.hidden_size)
    c = torch.zeros_like(h)
    outputs = []
    for t in range(x.shape[1]):
        h, c = cell(x[:, t], (h, c))
        outputs.append(h)
    return model.readout(torch.stack(outputs, 1))


def throughput(length: int, hidden: int, path: str, seconds: float, batch: int = 256) -> dict:
    config = Config(length=length, hidden_size=hidden)
    model = build_model(config)
    task = Task("delayed", length)
    gen = torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss_fn = nn.CrossEntropyLoss()
    forward = model if path == "fused" else (lambda tokens: loop_forward(model, tokens))

    def step() -> None:
        seqs = random_sequences(batch, length, gen)
        logits = forward(task.inputs(seqs))[:, task.first_output_step :]
        loss = loss_fn(logits.reshape(-1, 4), task.targets(seqs).reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()

    steps, elapsed = timed_calls(step, seconds)
    return {
        "path": path,
        "length": length,
        "hidden_size": hidden,
        "batch_size": batch,
        "steps": steps,
        "seconds": round(elapsed, 3),
        "steps_per_second": round(steps / elapsed, 1),
        "sequences_per_second": round(steps * batch / elapsed),
    }


def timed_calls(call, seconds: float, warmup: int = 5) -> tuple[int, float]:
    """Call ``call()`` ``warmup`` times, then as often as fits in ``seconds``: ``(calls, elapsed)``."""
    for _ in range(warmup):
        call()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        calls += 1
    return calls, time.perf_counter() - start


def forward_throughput(length: int, hidden: int, path: str, seconds: float, batch: int = 256) -> dict:
    """Sequences per second of a no-gradient forward pass: ``fused`` nn.LSTM or ``trace`` (revcomp.trace)."""
    model = build_model(Config(length=length, hidden_size=hidden))
    gen = torch.Generator().manual_seed(0)

    def run() -> None:
        seqs = random_sequences(batch, length, gen)
        if path == "trace":
            trace(model, seqs)
        else:
            with torch.no_grad():
                model.output_logits(seqs)

    steps, elapsed = timed_calls(run, seconds)
    return {
        "path": path,
        "length": length,
        "hidden_size": hidden,
        "batch_size": batch,
        "calls": steps,
        "seconds": round(elapsed, 3),
        "sequences_per_second": round(steps * batch / elapsed),
    }


def check_loop_matches_fused() -> float:
    model = build_model(Config(length=5, hidden_size=8))
    tokens = Task("delayed", 5).inputs(random_sequences(32, 5, torch.Generator().manual_seed(0)))
    with torch.no_grad():
        return float((model(tokens) - loop_forward(model, tokens)).abs().max())


def time_to_target() -> list[dict]:
    try:
        from revcomp.sweep import load_results
    except ImportError:  # pragma: no cover
        return []
    try:
        frame = load_results("capacity")
    except FileNotFoundError:
        return []
    rows = []
    for (length, hidden, recipe), group in frame.groupby(["length", "hidden_size", "recipe"]):
        good = group[group["solved"].astype(bool)]
        rows.append(
            {
                "task": "delayed",
                "length": int(length),
                "hidden_size": int(hidden),
                "recipe": recipe,
                "seeds": int(len(group)),
                "solved_seeds": int(len(good)),
                "median_steps_to_target": int(statistics.median(good["steps"])) if len(good) else None,
                "median_seconds_to_target": round(float(statistics.median(good["train_seconds"])), 2)
                if len(good)
                else None,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.3 s per measurement instead of 1.5 s")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seconds = 0.3 if args.quick else 1.5
    gap = check_loop_matches_fused()
    assert gap < 1e-5, f"loop and fused LSTM disagree by {gap}"
    results = []
    for length in (5, 10, 20):
        for hidden in (8, 16, 32):
            for path in ("fused", "loop"):
                row = throughput(length, hidden, path, seconds)
                results.append(row)
                print(
                    f"L={length:>2} H={hidden:>2} {path:>5}: {row['sequences_per_second']:>8,} seq/s",
                    file=sys.stderr,
                )
    forward = []
    for length in (5, 10, 20):
        for hidden in (8, 32):
            for path in ("fused", "trace"):
                row = forward_throughput(length, hidden, path, seconds)
                forward.append(row)
                print(
                    f"forward L={length:>2} H={hidden:>2} {path:>5}: {row['sequences_per_second']:>8,} seq/s",
                    file=sys.stderr,
                )
    speedups = []
    for fused, loop in zip(results[::2], results[1::2], strict=True):
        speedups.append(
            {
                "length": fused["length"],
                "hidden_size": fused["hidden_size"],
                "fused_over_loop": round(fused["sequences_per_second"] / loop["sequences_per_second"], 2),
            }
        )
    report = {
        "benchmark": "sweep_throughput",
        "loop_implementation": "nn.LSTMCell loop sharing the nn.LSTM weights (max |fused - loop| logit "
        f"difference {gap:.1e}); revcomp.trace.trace is no_grad-only, so it is timed forward-only",
        "threads": torch.get_num_threads(),
        "seconds_per_measurement": seconds,
        "throughput": results,
        "speedup": speedups,
        "forward_only": forward,
        "time_to_target": time_to_target(),
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
        "machine": platform.machine(),
        "command": "python benchmarks/sweep_throughput.py" + (" --quick" if args.quick else ""),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
