"""Time to target and throughput of ``revcomp.train`` against a plain PyTorch training loop.

Run from the repository root (one torch thread; ``nice`` it on a shared machine)::

    python benchmarks/training.py            # about 1-2 minutes
    python benchmarks/training.py --quick    # skips delayed L=10 H=32, a few seconds

For each configuration (the shipped models' settings: lr 3e-2, batch 256, held-out check of 4,096
sequences every 50 steps, stop when every held-out sequence is right at every answerable position):

* ``revcomp``: ``revcomp.train(Config(...))``;
* ``baseline``: the simplest plain-PyTorch loop (one-hot -> ``nn.LSTM`` -> ``nn.Linear(H, 4)``, Adam,
  grad clip 1.0, a fresh random batch each step), written out below without any revcomp code. It
  uses the same seeds in the same order, so it should take exactly as many steps as ``revcomp``:
  the step counts are a cross-check, and the ratio of seconds is the library's overhead.

Reported: steps, wall seconds and CPU seconds to the target, training sequences per second (steps
x batch / seconds, held-out checks included), and evaluation sequences per second
(``revcomp.evaluate`` on 262,144 random inputs against a plain batched forward + argmax), plus the
exhaustive result of each trained model. Results go to ``benchmarks/results/training.json``. The
machine is 2 cores shared with other jobs: CPU seconds (one thread) are the steadier measure; wall
seconds are indicative; step counts are exact.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch
from torch import nn

import revcomp
from revcomp import Config, evaluate, train

OUT = Path(__file__).parent / "results" / "training.json"
CONFIGS = [
    Config(task="delayed", length=5, hidden_size=8),
    Config(task="aligned", length=5, hidden_size=8),
    Config(task="delayed", length=10, hidden_size=32),
]
HELD_OUT_SEED_OFFSET = 1_000_003  # as revcomp.train: the held-out set is the same in both loops
GO, BLANK = 4, 5


def baseline_train(
    task: str,
    length: int,
    hidden: int,
    seed: int = 0,
    lr: float = 3e-2,
    batch: int = 256,
    max_steps: int = 20_000,
    eval_every: int = 50,
    eval_samples: int = 4096,
):
    """Plain PyTorch: train until every held-out sequence is right at every answerable position."""
    n_in = 4 if task == "aligned" else 6
    torch.manual_seed(seed)
    lstm = nn.LSTM(n_in, hidden, batch_first=True)
    head = nn.Linear(hidden, 4)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    data = torch.Generator().manual_seed(seed)
    held_out = torch.randint(
        0, 4, (eval_samples, length), generator=torch.Generator().manual_seed(seed + HELD_OUT_SEED_OFFSET)
    )
    # aligned: output t (read at step t) can only be right once x[L-1-t] has been read.
    answerable = [length - 1 - t <= t for t in range(length)] if task == "aligned" else [True] * length

    def logits(x):
        if task == "delayed":
            tail = torch.full((x.shape[0], length), BLANK)
            tail[:, 0] = GO
            x = torch.cat([x, tail], dim=1)
        out = head(lstm(nn.functional.one_hot(x, n_in).float())[0])
        return out if task == "aligned" else out[:, length:]

    start = time.perf_counter()
    for step in range(1, max_steps + 1):
        x = torch.randint(0, 4, (batch, length), generator=data)
        y = x.flip(1) ^ 1
        loss = nn.functional.cross_entropy(logits(x).reshape(-1, 4), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % eval_every == 0:
            with torch.no_grad():
                hits = logits(held_out).argmax(-1) == held_out.flip(1) ^ 1
            if hits[:, answerable].all(1).float().mean().item() >= 1.0:
                return step, time.perf_counter() - start, (lstm, head, logits)
    return max_steps, time.perf_counter() - start, (lstm, head, logits)


def baseline_eval(logits, length: int, n: int, batch: int = 65536) -> None:
    """Plain batched forward + argmax over ``n`` random inputs."""
    data = torch.Generator().manual_seed(12345)
    with torch.no_grad():
        for first in range(0, n, batch):
            x = torch.randint(0, 4, (min(batch, n - first), length), generator=data)
            (logits(x).argmax(-1) == x.flip(1) ^ 1).all(1).sum()


def timed(fn):
    """``(fn(), wall seconds, CPU seconds of this process)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def measure(config: Config, eval_n: int) -> dict:
    # Warm up both loops (the first steps of a fresh shape allocate and pick kernels).
    train(config, steps=config.eval_every)
    baseline_train(config.task, config.length, config.hidden_size, max_steps=config.eval_every)
    result, wall, cpu = timed(lambda: train(config))
    model = result.model
    evaluate(model, samples=1024)  # warm up
    _, eval_wall, eval_cpu = timed(lambda: evaluate(model, samples=eval_n))
    ev = evaluate(model, exhaustive=True)

    (base_steps, _, (_, _, logits)), base_wall, base_cpu = timed(
        lambda: baseline_train(config.task, config.length, config.hidden_size, seed=config.seed)
    )
    baseline_eval(logits, config.length, 1024)
    _, base_eval_wall, base_eval_cpu = timed(lambda: baseline_eval(logits, config.length, eval_n))
    batch = config.batch_size
    return {
        "name": config.name,
        "revcomp": {
            "steps": result.steps,
            "reached_target": result.reached_target,
            "seconds": round(wall, 3),
            "cpu_seconds": round(cpu, 3),
            "train_sequences_per_second": round(result.steps * batch / wall),
            "train_sequences_per_cpu_second": round(result.steps * batch / cpu),
            "eval_sequences_per_second": round(eval_n / eval_wall),
            "eval_sequences_per_cpu_second": round(eval_n / eval_cpu),
            "exhaustive_inputs": ev.inputs_checked,
            "exhaustive_whole_sequence_correct": ev.whole_sequence_correct,
        },
        "baseline": {
            "steps": base_steps,
            "seconds": round(base_wall, 3),
            "cpu_seconds": round(base_cpu, 3),
            "train_sequences_per_second": round(base_steps * batch / base_wall),
            "train_sequences_per_cpu_second": round(base_steps * batch / base_cpu),
            "eval_sequences_per_second": round(eval_n / base_eval_wall),
            "eval_sequences_per_cpu_second": round(eval_n / base_eval_cpu),
        },
        "same_steps": result.steps == base_steps,
        "eval_inputs": eval_n,
        "time_ratio_revcomp_over_baseline": round(wall / base_wall, 3),
        "cpu_time_ratio_revcomp_over_baseline": round(cpu / base_cpu, 3),
        "eval_cpu_time_ratio_revcomp_over_baseline": round(eval_cpu / base_eval_cpu, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip delayed L=10 H=32")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--eval-inputs", type=int, default=262_144, help="random inputs for eval throughput")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    configs = [c for c in CONFIGS if not (args.quick and c.length > 5)]
    started = time.perf_counter()
    rows = []
    for config in configs:
        rows.append(measure(config, args.eval_inputs))
        print(f"measured {config.name}", file=sys.stderr, flush=True)

    header = (
        f"{'model':<16} {'steps':>6} {'base':>6} {'secs':>7} {'base':>7} {'cpu s':>7} {'base':>7} "
        f"{'cpu ratio':>9} {'train seq/cpu-s':>15} {'base':>9} {'eval seq/cpu-s':>14} {'base':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        a, b = r["revcomp"], r["baseline"]
        print(
            f"{r['name']:<16} {a['steps']:>6} {b['steps']:>6} {a['seconds']:>7.2f} {b['seconds']:>7.2f} "
            f"{a['cpu_seconds']:>7.2f} {b['cpu_seconds']:>7.2f} "
            f"{r['cpu_time_ratio_revcomp_over_baseline']:>9.2f} "
            f"{a['train_sequences_per_cpu_second']:>15,} {b['train_sequences_per_cpu_second']:>9,} "
            f"{a['eval_sequences_per_cpu_second']:>14,} {b['eval_sequences_per_cpu_second']:>9,}"
        )
    report = {
        "benchmark": "training",
        "description": "time to target and throughput: revcomp.train/evaluate vs a plain PyTorch loop",
        "threads": 1,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "revcomp": revcomp.__version__,
        },
        "total_seconds": round(time.perf_counter() - started, 1),
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
