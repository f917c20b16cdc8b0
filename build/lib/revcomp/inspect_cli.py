"""``revcomp inspect [MODEL] [--json]``: what each unit does, what breaks without it, what can be decoded.

Runs, on ``--samples`` inputs (default 1,024: every input for L=5, random ones
beyond; seeded):

1. the role table of :func:`revcomp.roles.unit_roles` for the hidden state
   (with each unit's cell-state role beside it) and the verdict of
   :func:`revcomp.roles.check_claim` on the write-up's claim;
2. single-unit ablations of the hidden state (:func:`revcomp.causal.ablate_units`:
   zero, mean, per-step mean) with the random-direction control;
3. held-out probe accuracy (linear and MLP, hidden and cell) for each stored
   base ``x[k]`` at two moments: the end of reading (step ``L-1``) and the
   step whose output needs ``x[k]``. Probe training is kept small so the
   command takes a few seconds; :func:`revcomp.probes.probe_accuracy` does the
   full grid.

``--json`` prints one object with keys ``model``, ``inputs``, ``accuracy``,
``units`` (one entry per hidden unit: role, scores, cell role, ablation
changes), ``claim``, ``ablations``, ``ablation_control``, ``probes`` and
``probe_gap``. This module registers itself into :mod:`revcomp.cli`.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import pandas as pd
import torch

from revcomp import cli
from revcomp.causal import ABLATION_METHODS, ablate_units
from revcomp.model import RevCompLSTM
from revcomp.pretrained import DEFAULT_MODEL, load_model
from revcomp.probes import probe_accuracy, probe_gap
from revcomp.roles import check_claim, unit_roles
from revcomp.trace import analysis_sequences, trace

HELP = "what each unit does: computed roles, single-unit ablations, probe accuracies"


def probe_moments(model: RevCompLSTM) -> list[tuple[int, int, str]]:
    """``(step, base, moment)`` probed by ``inspect``: ``end of reading`` (step ``L-1``) for every base, and
    ``at use`` (the step emitting the output that needs the base) where that is at or after its read step."""
    task = model.task
    L = task.length
    moments: dict[tuple[int, int], list[str]] = {}
    for k in range(L):
        moments.setdefault((L - 1, k), []).append("end of reading")
    for k in range(L):
        step = task.output_step(L - 1 - k)
        if step >= k:
            moments.setdefault((step, k), []).append("at use")
    return [(t, k, " + ".join(labels)) for (t, k), labels in moments.items()]


def inspect_report(
    model: RevCompLSTM,
    *,
    samples: int = 1024,
    seed: int = 0,
    n_random: int = 8,
    probe_hidden: int = 16,
    probe_steps: int = 150,
    ablation_samples: int | None = None,
) -> dict:
    """Everything ``revcomp inspect`` prints, as one JSON-ready dict (see the module docstring).

    ``ablation_samples`` caps the inputs used for ablations (default: 512 when
    ``H * n_steps > 256``, i.e. for the larger models, else all ``samples``).
    """
    torch.set_num_threads(1)
    started = time.perf_counter()
    task = model.task
    seqs = analysis_sequences(task.length, samples, seed)
    if ablation_samples is None and model.config.hidden_size * task.n_steps > 256:
        ablation_samples = 512
    exhaustive = seqs.shape[0] == 4**task.length
    cache = trace(model, seqs)
    hits = cache.correct
    answerable = torch.tensor(task.answerable())
    accuracy = {
        "per_position": hits.double().mean(0).tolist(),
        "whole_sequence": float(hits.all(1).double().mean()),
        "answerable": float(hits[:, answerable].all(1).double().mean()),
    }
    timings = {}
    t0 = time.perf_counter()
    roles = unit_roles(cache, "hidden")
    cell_roles = unit_roles(cache, "cell")
    timings["roles"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    ablation_seqs = seqs[:ablation_samples] if ablation_samples else seqs
    ablations = ablate_units(model, ablation_seqs, quantity="hidden", n_random=n_random, seed=seed)
    timings["ablations"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    moments = probe_moments(model)
    probes = probe_accuracy(
        cache, pairs=[(t, k) for t, k, _ in moments], hidden=probe_hidden, mlp_steps=probe_steps, seed=seed
    )
    moment_of = {(t, k): m for t, k, m in moments}
    pairs = zip(probes["step"], probes["base"], strict=True)
    probes.insert(2, "moment", [moment_of[(t, k)] for t, k in pairs])
    timings["probes"] = time.perf_counter() - t0

    L = task.length
    ablation_records = []
    grouped = ablations.groupby(["kind", "unit", "method"], sort=False)
    for (kind, unit, method), group in grouped:
        by_scope = group.set_index("scope")
        positions = group[group["scope"] == "position"].sort_values("position")
        ablation_records.append(
            {
                "kind": kind,
                "unit": int(unit),
                "method": method,
                "answerable_change": float(by_scope.loc["answerable", "change"]),
                "whole_sequence_change": float(by_scope.loc["whole sequence", "change"]),
                "per_position_change": [float(c) for c in positions["change"]],
                "answerable_accuracy": float(by_scope.loc["answerable", "accuracy"]),
            }
        )
    unit_changes = {
        (r["unit"], r["method"]): r["answerable_change"] for r in ablation_records if r["kind"] == "unit"
    }
    control = {
        method: float(
            pd.Series(
                [
                    r["answerable_change"]
                    for r in ablation_records
                    if r["kind"] == "random direction" and r["method"] == method
                ]
            ).mean()
        )
        for method in ABLATION_METHODS
    }
    units = []
    for (_, row), (_, cell_row) in zip(roles.iterrows(), cell_roles.iterrows(), strict=True):
        entry = {key: _plain(value) for key, value in row.items() if key != "quantity"}
        entry["cell_role"] = cell_row["role"]
        entry["cell_detail"] = cell_row["detail"]
        entry["ablation"] = {m: unit_changes[(int(row["unit"]), m)] for m in ABLATION_METHODS}
        units.append(entry)
    gap = probe_gap(probes)
    probe_gaps = {q: float(g["gap"].mean()) for q, g in gap.groupby("quantity")} if "gap" in gap else {}
    report = {
        "model": model.config.name,
        "config": model.config.to_dict(),
        "inputs": {
            "count": int(seqs.shape[0]),
            "exhaustive": exhaustive,
            "seed": seed,
            "ablation_count": int(ablation_seqs.shape[0]),
        },
        "accuracy": accuracy,
        "units": units,
        "cell_units": [
            {key: _plain(value) for key, value in row.items() if key != "quantity"}
            for _, row in cell_roles.iterrows()
        ],
        "claim": check_claim(roles, ablations),
        "ablations": ablation_records,
        "ablation_control": control,
        "probes": [{key: _plain(value) for key, value in row.items()} for _, row in probes.iterrows()],
        "probe_gap": probe_gaps,
        "probe_settings": {"mlp_hidden": probe_hidden, "mlp_steps": probe_steps, "test_fraction": 1 / 3},
        "seconds": {
            **{k: round(v, 3) for k, v in timings.items()},
            "total": round(time.perf_counter() - started, 3),
        },
        "length": L,
    }
    return _json_safe(report)


def _json_safe(value):
    """Replace NaN/inf by ``None`` everywhere, so the report is strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plain(value):
    if value is pd.NA or value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def format_report(report: dict) -> str:
    """The human-readable text of ``revcomp inspect``."""
    L = report["length"]
    lines = []
    inputs = report["inputs"]
    kind = "all inputs" if inputs["exhaustive"] else f"random inputs (seed {inputs['seed']})"
    acc = report["accuracy"]
    lines.append(f"{report['model']}: {inputs['count']:,} {kind}")
    lines.append(
        f"accuracy per position {' '.join(f'{a:.3f}' for a in acc['per_position'])}; "
        f"whole sequence {acc['whole_sequence']:.4f}; every answerable position {acc['answerable']:.4f}"
    )
    lines.append("")
    lines.append("Unit roles, hidden state (shares of variance; rules: revcomp.roles)")
    lines.append(
        f"{'unit':>4}  {'role':<14} {'std':>5} {'step':>5} {'base':>5}  {'best stored (within step)':<26}"
        f"{'readout':>8}  cell role"
    )
    for u in report["units"]:
        within = [u[f"within_x{k}"] for k in range(L)]
        best = max(range(L), key=lambda k: within[k])
        lines.append(
            f"{u['unit']:>4}  {u['role']:<14} {u['std']:5.2f} {u['eta2_step']:5.2f} {u['eta2_base']:5.2f}  "
            f"{f'x{best} {within[best]:.2f}':<26}{u.get('readout_norm', float('nan')):8.2f}  {u['cell_role']}"
        )
    claim = report["claim"]
    lines.append(f"claim check: {claim['verdict']}")
    lines.append("")
    lines.append(
        "Single-unit ablation, hidden state: change in share of inputs right at every answerable position"
        f" ({inputs['ablation_count']:,} inputs)"
    )
    lines.append(f"{'unit':>4}  {'zero':>7} {'mean':>7} {'step mean':>9}   per-position change (step mean)")
    for u in report["units"]:
        per_pos = next(
            r["per_position_change"]
            for r in report["ablations"]
            if r["kind"] == "unit" and r["unit"] == u["unit"] and r["method"] == "step_mean"
        )
        a = u["ablation"]
        lines.append(
            f"{u['unit']:>4}  {a['zero']:+7.3f} {a['mean']:+7.3f} {a['step_mean']:+9.3f}   "
            + " ".join(f"{c:+.2f}" for c in per_pos)
        )
    c = report["ablation_control"]
    n_random = sum(
        1 for r in report["ablations"] if r["kind"] == "random direction" and r["method"] == "zero"
    )
    lines.append(
        f"{'rand':>4}  {c['zero']:+7.3f} {c['mean']:+7.3f} {c['step_mean']:+9.3f}   "
        f"(mean over {n_random} random directions)"
    )
    lines.append("")
    settings = report["probe_settings"]
    lines.append(
        "Probes: held-out accuracy decoding stored base x[k] (linear / MLP; "
        f"MLP {settings['mlp_hidden']} units, {settings['mlp_steps']} Adam steps; chance ~0.25)"
    )
    table = pd.DataFrame(report["probes"])
    lines.append(f"{'base':>4}  {'step':>4}  {'moment':<26}{'hidden':>13}  {'cell':>11}")
    for (k, t), group in table.groupby(["base", "step"], sort=True):
        cells = {}
        for quantity in ("hidden", "cell"):
            sub = group[group["quantity"] == quantity].set_index("probe")["test_accuracy"]
            cells[quantity] = f"{sub.get('linear', float('nan')):.2f} / {sub.get('mlp', float('nan')):.2f}"
        lines.append(
            f"{'x' + str(k):>4}  {t:>4}  {group['moment'].iloc[0]:<26}"
            f"{cells['hidden']:>13}  {cells['cell']:>11}"
        )
    gaps = report["probe_gap"]
    if gaps:
        lines.append(
            "mean MLP - linear gap: "
            + ", ".join(f"{q} {g:+.3f}" for q, g in sorted(gaps.items()))
            + "  (a positive gap: present but not linearly readable)"
        )
    lines.append(f"({report['seconds']['total']:.1f} s)")
    return "\n".join(lines)


def cmd_inspect(args: argparse.Namespace) -> int:
    """Run ``revcomp inspect``."""
    if args.samples < 16:
        raise ValueError(f"--samples must be at least 16, got {args.samples}")
    model = load_model(args.model)
    report = inspect_report(model, samples=args.samples, seed=args.seed)
    if args.json:
        print(json.dumps(report, allow_nan=False))
    else:
        print(format_report(report))
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``revcomp inspect``."""
    parser.add_argument(
        "model",
        nargs="?",
        default=None,
        help=f"a shipped model's name or a checkpoint path (default {DEFAULT_MODEL})",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    parser.add_argument(
        "--samples", type=int, default=1024, help="inputs to analyse (all 4**L if fewer; default 1024)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for sampled inputs, splits and controls")


cli.COMMANDS["inspect"] = cmd_inspect
cli.EXTRA_COMMANDS["inspect"] = add_arguments
cli.EXTRA_HELP["inspect"] = HELP
