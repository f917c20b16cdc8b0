"""Causal tests: does the model *use* what a unit or a direction seems to hold?

Looking is not understanding: a reading of a unit counts once an intervention
confirms it. Three kinds of test, all built on :func:`revcomp.trace.trace`
with interventions:

- :func:`ablate_units` -- knock out one unit (of ``hidden`` or ``cell``) by
  setting it to zero, to its mean, or to its per-step mean, at every step or
  chosen ones, and measure the accuracy change per output position and for
  whole sequences. The control ablates random directions of the same space
  the same way: if random directions hurt as much as units, the unit basis is
  not special (a distributed code).
- :func:`interchange` -- activation patching: run sequence B, but at step
  ``t`` replace its state (``hidden`` and/or ``cell``) with sequence A's; count
  which outputs switch to A's answer.
- :func:`probe_patching` -- patch only along the subspace a linear probe for
  one stored base ``x[k]`` reads; if that subspace *is* how the model stores
  ``x[k]``, exactly the output that needs ``x[k]`` switches to A's answer.

All results are tidy pandas DataFrames (columns listed per function).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch

from revcomp.interventions import Intervention, patch, patch_subspace, set_direction, set_unit
from revcomp.model import RevCompLSTM
from revcomp.probes import base_probe_data, fit_probes, split_sequences
from revcomp.trace import Trace, analysis_sequences, trace

ABLATION_METHODS = ("zero", "mean", "step_mean")
"""Ablation values: ``zero``; ``mean`` over all sequences and steps; ``step_mean``: the mean at that step."""


def _sequences(model: RevCompLSTM, seqs: torch.Tensor | None) -> torch.Tensor:
    return analysis_sequences(model.task.length) if seqs is None else seqs


SCOPES = ("position", "whole sequence", "answerable")
"""Accuracy scopes in the tables: one output ``position``; the ``whole sequence`` right; every
``answerable`` position right (the same as whole sequence for ``delayed``; for ``aligned`` it leaves
out the positions no model can answer, whose chance-level noise would swamp any effect)."""


def _accuracy_rows(cache: Trace, base: dict) -> list[dict]:
    hits = cache.correct
    answerable = torch.tensor(cache.task.answerable())
    rows = []
    for p, acc in enumerate(hits.double().mean(0).tolist()):
        rows.append({**base, "scope": "position", "position": p, "accuracy": acc})
    rows.append(
        {**base, "scope": "whole sequence", "position": pd.NA, "accuracy": float(hits.all(1).double().mean())}
    )
    rows.append(
        {
            **base,
            "scope": "answerable",
            "position": pd.NA,
            "accuracy": float(hits[:, answerable].all(1).double().mean()),
        }
    )
    return rows


def _steps_label(steps: Sequence[int] | None) -> str:
    return "all" if steps is None else ",".join(str(s) for s in sorted(steps))


def random_directions(size: int, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` random unit vectors ``(n, size)`` (seeded Gaussian, normalised)."""
    directions = torch.randn(n, size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return directions / directions.norm(dim=1, keepdim=True)


def ablate_units(
    model: RevCompLSTM,
    seqs: torch.Tensor | None = None,
    *,
    quantity: str = "hidden",
    units: Sequence[int] | None = None,
    methods: Sequence[str] = ABLATION_METHODS,
    steps: Sequence[int] | None = None,
    n_random: int = 8,
    seed: int = 0,
) -> pd.DataFrame:
    """Accuracy after ablating each unit of ``quantity`` (``hidden`` or ``cell``), one at a time.

    ``methods``: see :data:`ABLATION_METHODS` (means are taken over ``seqs``,
    by default all ``4**L`` inputs or 4,096 random ones). ``steps``: where to
    ablate (default every step). ``n_random`` random directions (unit vectors
    in the ``H``-dimensional space) are ablated the same way as a control: the
    component along the direction is set to zero / its mean / its per-step mean.

    Long format, columns: ``quantity``, ``kind`` (``unit`` or ``random
    direction``), ``unit`` (the unit, or the random draw's index), ``method``,
    ``steps`` (``all`` or e.g. ``2,3``), ``scope`` (see :data:`SCOPES`),
    ``position`` (``<NA>`` unless scope is ``position``), ``accuracy``,
    ``baseline`` (unablated accuracy) and ``change`` (accuracy - baseline).
    """
    for method in methods:
        if method not in ABLATION_METHODS:
            raise ValueError(f"unknown ablation method {method!r}: choose from {', '.join(ABLATION_METHODS)}")
    seqs = _sequences(model, seqs)
    reference = trace(model, seqs)
    values = reference[quantity].double()
    H = values.shape[-1]
    units = list(range(H)) if units is None else list(units)
    mean = values.mean((0, 1))
    step_mean = values.mean(0)  # (T, H)
    steps_label = _steps_label(steps)

    baseline_rows = _accuracy_rows(reference, {})
    baseline = {
        (r["scope"], r["position"] if r["scope"] == "position" else -1): r["accuracy"] for r in baseline_rows
    }

    def run(intervention: Intervention, info: dict) -> list[dict]:
        cache = trace(model, seqs, interventions=[intervention])
        return _accuracy_rows(cache, info)

    rows: list[dict] = []
    for method in methods:
        for u in units:
            if method == "zero":
                value = 0.0
            elif method == "mean":
                value = float(mean[u])
            else:
                column = step_mean[:, u]

                def value(step: int, column: torch.Tensor = column) -> float:
                    return float(column[step])

            info = {"quantity": quantity, "kind": "unit", "unit": u, "method": method, "steps": steps_label}
            rows += run(set_unit(quantity, u, value, steps), info)
        for draw, direction in enumerate(random_directions(H, n_random, seed)):
            projection = values @ direction  # (B, T)
            if method == "zero":
                dvalue = 0.0
            elif method == "mean":
                dvalue = float(projection.mean())
            else:
                per_step = projection.mean(0)

                def dvalue(step: int, per_step: torch.Tensor = per_step) -> float:
                    return float(per_step[step])

            info = {
                "quantity": quantity,
                "kind": "random direction",
                "unit": draw,
                "method": method,
                "steps": steps_label,
            }
            rows += run(set_direction(quantity, direction, dvalue, steps), info)
    frame = pd.DataFrame(rows)
    keys = zip(frame["scope"], frame["position"].fillna(-1), strict=True)
    frame["baseline"] = [baseline[(scope, int(p))] for scope, p in keys]
    frame["change"] = frame["accuracy"] - frame["baseline"]
    frame["position"] = frame["position"].astype("Int64")
    return frame


def ablation_summary(ablations: pd.DataFrame, scope: str = "answerable") -> pd.DataFrame:
    """Accuracy change (``scope``: see :data:`SCOPES`) per unit (rows) and method (columns), plus the
    random-direction control as a row ``random (mean)``: the mean over draws."""
    whole = ablations[ablations["scope"] == scope]
    units = whole[whole["kind"] == "unit"].pivot_table(index="unit", columns="method", values="change")
    units.index = units.index.map(str)
    control = whole[whole["kind"] == "random direction"].groupby("method")["change"].mean()
    table = pd.concat([units, control.to_frame("random (mean)").T])
    table.columns.name = None
    order = [m for m in ABLATION_METHODS if m in table.columns]
    return table[order]


def _pairs(n: int, seed: int) -> torch.Tensor:
    """A seeded derangement-ish permutation: row ``i`` of B is paired with donor row ``perm[i]`` of A."""
    generator = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=generator)
    same = perm == torch.arange(n)
    if n > 1 and bool(same.any()):
        perm[same] = perm.roll(1)[same]
    return perm


def _switch_rows(cache: Trace, donor_targets: torch.Tensor, info: dict, expected: list[str]) -> list[dict]:
    preds = cache.predictions.cpu()
    own = cache.targets.cpu()
    rows = []
    for p in range(cache.task.length):
        differ = donor_targets[:, p] != own[:, p]
        n = int(differ.sum())
        switched = (
            float((preds[differ, p] == donor_targets[differ, p]).double().mean()) if n else float("nan")
        )
        stayed = float((preds[differ, p] == own[differ, p]).double().mean()) if n else float("nan")
        rows.append(
            {
                **info,
                "position": p,
                "expected": expected[p],
                "switched": switched,
                "stayed": stayed,
                "other": 1.0 - switched - stayed if n else float("nan"),
                "n_pairs": n,
            }
        )
    return rows


def _expected(task, step: int, positions_needing: list[int]) -> list[str]:
    """For each output position: ``A`` if its base was read by ``step`` and it is emitted at or after
    ``step``, else ``B``."""
    out = []
    for p in range(task.length):
        base = positions_needing[p]
        emitted = task.output_step(p)
        out.append("A" if base <= step <= emitted else "B")
    return out


STATE_CHOICES: dict[str, tuple[str, ...]] = {
    "both": ("hidden", "cell"),
    "hidden": ("hidden",),
    "cell": ("cell",),
}
"""What :func:`interchange` can patch."""


def interchange(
    model: RevCompLSTM,
    seqs: torch.Tensor | None = None,
    *,
    steps: Sequence[int] | None = None,
    states: Sequence[str] = ("both", "hidden", "cell"),
    seed: int = 0,
) -> pd.DataFrame:
    """Activation patching: run B with its state at ``step`` replaced by donor A's.

    Each input B is paired with a random other input A (seeded). For each
    patched ``state`` (``both`` = hidden and cell, ``hidden``, ``cell``) and
    ``step`` (default every step), per output position, over the pairs whose
    right answers differ there: ``switched`` (share of outputs equal to A's
    answer), ``stayed`` (equal to B's), ``other``. ``expected`` is what a model
    that stores each base in its state predicts: ``A`` if the base the position
    needs (``x[L-1-p]``) was read by ``step`` and the output is emitted at or
    after it, else ``B``. Patching ``both`` after the last input step makes B
    produce exactly A's outputs.

    Columns: ``state``, ``step``, ``position``, ``expected``, ``switched``,
    ``stayed``, ``other``, ``n_pairs``.
    """
    seqs = _sequences(model, seqs)
    task = model.task
    steps = list(range(task.n_steps)) if steps is None else list(steps)
    perm = _pairs(seqs.shape[0], seed)
    donor_seqs = seqs[perm]
    donor = trace(model, donor_seqs)
    donor_targets = task.targets(donor_seqs)
    needs = [task.length - 1 - p for p in range(task.length)]
    rows = []
    for state in states:
        if state not in STATE_CHOICES:
            raise ValueError(f"unknown state {state!r}: choose from {', '.join(STATE_CHOICES)}")
        for step in steps:
            hooks = [patch(name, donor, [step]) for name in STATE_CHOICES[state]]
            cache = trace(model, seqs, interventions=hooks)
            rows += _switch_rows(
                cache, donor_targets, {"state": state, "step": step}, _expected(task, step, needs)
            )
    return pd.DataFrame(rows)


def default_patch_step(task, base: int) -> int:
    """Where :func:`probe_patching` patches ``x[base]`` by default: the last read step for ``delayed``
    (everything has been read, nothing emitted), the step that reads it for ``aligned``."""
    return task.length - 1 if task.name == "delayed" else base


def probe_patching(
    model: RevCompLSTM,
    seqs: torch.Tensor | None = None,
    *,
    bases: Sequence[int] | None = None,
    step: int | None = None,
    states: Sequence[str] = ("both",),
    n_random: int = 3,
    test_fraction: float = 1 / 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Patch only along a linear probe's subspace for one stored base; report switches per position.

    For each base ``k``: fit linear probes for ``x[k]`` on ``hidden`` and on
    ``cell`` at ``step`` (default :func:`default_patch_step`) using the training
    split; on held-out pairs (B, donor A) replace the component of B's state
    inside each probe's subspace (rank <= 3) by A's (``x + P (x_A - x)``, see
    :func:`revcomp.interventions.patch_subspace`). Success means the output
    position that needs ``x[k]`` (``p = L-1-k``) switches to A's answer and the
    others stay. Control: random subspaces of the same rank.

    Columns: ``base``, ``kind`` (``probe subspace`` / ``random subspace``),
    ``draw``, ``state``, ``step``, ``rank`` (of the hidden-state subspace),
    ``position``, ``target_position`` (``p == L-1-k``), ``switched``,
    ``stayed``, ``other``, ``n_pairs``.
    """
    seqs = _sequences(model, seqs)
    task = model.task
    bases = list(range(task.length)) if bases is None else list(bases)
    train, test = split_sequences(seqs.shape[0], test_fraction, seed)
    full = trace(model, seqs)
    test_seqs = seqs[test]
    perm = _pairs(len(test), seed)
    donor_seqs = test_seqs[perm]
    donor = trace(model, donor_seqs)
    donor_targets = task.targets(donor_seqs)
    H = model.config.hidden_size
    rows = []
    for k in bases:
        t = default_patch_step(task, k) if step is None else step
        bases_by_state = {}
        for name in ("hidden", "cell"):
            features, labels, _ = base_probe_data(full, name, [t], [k])
            probe = fit_probes(features[:, train], labels[:, train], "linear", seed=seed)
            bases_by_state[name] = probe.subspace(0)
        rank = int(bases_by_state["hidden"].shape[1])
        variants = [("probe subspace", 0, bases_by_state)]
        generator = torch.Generator().manual_seed(seed + 1000 + k)
        for draw in range(n_random):
            random_bases = {
                name: torch.linalg.qr(torch.randn(H, b.shape[1], generator=generator, dtype=torch.float64))[0]
                for name, b in bases_by_state.items()
            }
            variants.append(("random subspace", draw, random_bases))
        for kind, draw, subspaces in variants:
            for state in states:
                hooks = [patch_subspace(name, donor, subspaces[name], [t]) for name in STATE_CHOICES[state]]
                cache = trace(model, test_seqs, interventions=hooks)
                info = {"base": k, "kind": kind, "draw": draw, "state": state, "step": t, "rank": rank}
                for row in _switch_rows(cache, donor_targets, info, ["B"] * task.length):
                    row.pop("expected")
                    row["target_position"] = row["position"] == task.length - 1 - k
                    rows.append(row)
    frame = pd.DataFrame(rows)
    return frame[
        [
            "base",
            "kind",
            "draw",
            "state",
            "step",
            "rank",
            "position",
            "target_position",
            "switched",
            "stayed",
            "other",
            "n_pairs",
        ]
    ]


def probe_patching_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per base and kind: switch rate at the target position and the mean switch rate elsewhere."""
    grouped = table.groupby(["base", "kind", "state", "step", "target_position"])["switched"].mean().unstack()
    grouped = grouped.rename(columns={True: "target_switched", False: "others_switched"}).reset_index()
    grouped.columns.name = None
    return grouped


def accuracy_table(cache: Trace) -> pd.DataFrame:
    """Accuracy per output position and whole-sequence for one (possibly intervened) trace."""
    return pd.DataFrame(_accuracy_rows(cache, {}))


__all__ = [
    "ABLATION_METHODS",
    "SCOPES",
    "STATE_CHOICES",
    "ablate_units",
    "ablation_summary",
    "accuracy_table",
    "default_patch_step",
    "interchange",
    "probe_patching",
    "probe_patching_summary",
    "random_directions",
]
