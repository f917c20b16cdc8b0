"""Neuron roles, computed: what share of each unit's variance is explained by what.

For one internal (``hidden`` by default, or ``cell``) every unit's values over
a set of inputs (all ``4**L`` sequences when that is at most 4,096, else 4,096
random ones) and every step are scored with **eta-squared**, the share of
variance explained by a grouping: ``SS_between / SS_total``, where
``SS_between = sum_g n_g (mean_g - mean)^2``. It is 1 when the value is a
function of the grouping and 0 when the group means are all equal. The scores
(columns of :func:`unit_roles`):

- ``std``, ``variance``: over all sequences and steps
- ``eta2_step``: share explained by the step (what a position/clock unit has)
- ``eta2_token``: share explained by the current input token (A/T/G/C/GO/BLANK)
- ``eta2_base``: share explained by the current input *base*, over the steps
  whose input is a base (all steps for ``aligned``, the read steps for ``delayed``)
- ``eta2_x{k}``: share explained by the stored base ``x[k]``, pooled over steps
- ``within_x{k}``: share of the *within-step* variance (what is left once the
  step is known) explained by ``x[k]``, i.e.
  ``(SS_between(step x x[k]) - SS_between(step)) / (SS_total - SS_between(step))``.
  In the delayed task the step explains much of every unit's variance, so this
  is the fairer test of "does the unit store base k".
- ``within_token``: the same for the current input token
- for ``hidden``: ``readout_norm`` (norm of the unit's column of the readout:
  how much the output reads it directly) and ``recurrent_norm`` (norm of its
  column of ``weight_hh``: how much the next step's gates read it)

**Role labels**, first rule that matches (thresholds are module constants):

1. ``inert``: ``std < INERT_STD`` (0.05; hidden values lie in -1..1)
2. ``position``: ``eta2_step >= POSITION_SHARE`` (0.8)
3. ``current base``: ``eta2_base >= BASE_SHARE`` (0.6), ``eta2_base`` above
   every ``within_x{k}``, and ``eta2_token >= eta2_step`` (over all steps the
   input explains at least as much as the clock: a unit that copies bases while
   reading but is mostly a clock overall is ``mixed``)
4. ``stored base k``: ``within_x{k} >= STORED_SHARE`` (0.5) and at least
   ``STORED_MARGIN`` (2) times the next-best ``within_x{j}``
5. ``mixed`` otherwise; ``detail`` names the largest shares.

These labels describe *correlations*. A reading counts once an intervention
confirms it: see :mod:`revcomp.causal` (ablation, patching) and
:func:`check_claim`, which combines both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from revcomp.model import RevCompLSTM
from revcomp.trace import Trace, analysis_sequences, trace

INERT_STD = 0.05
"""A unit whose standard deviation is below this is ``inert``."""
POSITION_SHARE = 0.8
"""``eta2_step`` at or above this makes a ``position`` unit."""
BASE_SHARE = 0.6
"""``eta2_base`` at or above this makes a ``current base`` unit."""
STORED_SHARE = 0.5
"""``within_x{k}`` at or above this (and dominant) makes a ``stored base k`` unit."""
STORED_MARGIN = 2.0
"""How many times the runner-up stored base's share the best one must be."""
CAUSAL_INERT_CHANGE = 0.01
"""In :func:`check_claim`, a unit whose ablations change (answerable) whole-sequence accuracy by less
than this (1 point) does "almost nothing" causally."""

ROLES = ("inert", "position", "current base", "stored base", "mixed")
"""The role families (``stored base`` labels carry the base index, e.g. ``stored base 2``)."""


def _as_trace(source: RevCompLSTM | Trace, seqs: torch.Tensor | None = None) -> Trace:
    if isinstance(source, Trace):
        return source
    if seqs is None:
        seqs = analysis_sequences(source.task.length)
    return trace(source, seqs)


def _ss_total(values: torch.Tensor) -> torch.Tensor:
    centered = values - values.mean(0)
    return (centered**2).sum(0)


def _ss_between(values: torch.Tensor, groups: torch.Tensor, n_groups: int) -> torch.Tensor:
    """``sum_g n_g (mean_g - mean)^2`` per column of ``values`` (N, U)."""
    centered = values - values.mean(0)
    counts = torch.bincount(groups, minlength=n_groups).to(values.dtype)
    sums = torch.zeros(n_groups, values.shape[1], dtype=values.dtype).index_add_(0, groups, centered)
    nonempty = counts > 0
    return (sums[nonempty] ** 2 / counts[nonempty, None]).sum(0)


def _ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    tiny = 1e-12 * max(1.0, float(den.abs().max())) if den.numel() else 1e-12
    return torch.where(den > tiny, num / den.clamp_min(tiny), torch.zeros_like(num)).clamp(0.0, 1.0)


def eta_squared(values: torch.Tensor, groups: torch.Tensor, n_groups: int | None = None) -> torch.Tensor:
    """Share of each column's variance explained by ``groups``: ``(N, U), (N,) -> (U,)``.

    Zero-variance columns score 0.
    """
    values = torch.as_tensor(values).double()
    if values.dim() == 1:
        values = values.unsqueeze(1)
    groups = torch.as_tensor(groups).long().reshape(-1)
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    return _ratio(_ss_between(values, groups, n_groups), _ss_total(values))


def _within_share(
    values: torch.Tensor,
    step: torch.Tensor,
    factor: torch.Tensor,
    n_levels: int,
    n_steps: int,
    ss_step: torch.Tensor,
    ss_total: torch.Tensor,
) -> torch.Tensor:
    joint = _ss_between(values, step * n_levels + factor, n_steps * n_levels)
    return _ratio(joint - ss_step, ss_total - ss_step)


def unit_scores(
    source: RevCompLSTM | Trace, quantity: str = "hidden", seqs: torch.Tensor | None = None
) -> pd.DataFrame:
    """The variance-explained scores of every unit of ``quantity`` (one row per unit).

    ``source`` is a model (traced on :func:`~revcomp.trace.analysis_sequences`,
    or ``seqs``) or an existing trace. Columns: see the module docstring.
    """
    cache = _as_trace(source, seqs)
    task = cache.task
    B, T, L = cache.batch_size, cache.n_steps, task.length
    values = cache[quantity].detach().double().reshape(B * T, -1).cpu()
    n_units = values.shape[1]
    step = torch.arange(T).repeat(B)
    tokens = cache.tokens.reshape(-1).cpu()
    seqs_cpu = cache.seqs.cpu()

    ss_total = _ss_total(values)
    ss_step = _ss_between(values, step, T)
    scores: dict[str, np.ndarray] = {
        "std": values.std(0, unbiased=False).numpy(),
        "variance": values.var(0, unbiased=False).numpy(),
        "eta2_step": _ratio(ss_step, ss_total).numpy(),
        "eta2_token": eta_squared(values, tokens, 6).numpy(),
    }
    is_base = tokens < 4
    scores["eta2_base"] = eta_squared(values[is_base], tokens[is_base], 4).numpy()
    for k in range(L):
        xk = seqs_cpu[:, k].repeat_interleave(T)
        scores[f"eta2_x{k}"] = eta_squared(values, xk, 4).numpy()
    for k in range(L):
        xk = seqs_cpu[:, k].repeat_interleave(T)
        scores[f"within_x{k}"] = _within_share(values, step, xk, 4, T, ss_step, ss_total).numpy()
    scores["within_token"] = _within_share(values, step, tokens, 6, T, ss_step, ss_total).numpy()
    frame = pd.DataFrame({"quantity": quantity, "unit": np.arange(n_units), **scores})
    model = getattr(cache, "model", None)
    if quantity == "hidden" and model is not None:
        frame["readout_norm"] = model.readout.weight.detach().norm(dim=0).cpu().numpy()
        frame["recurrent_norm"] = model.lstm.weight_hh_l0.detach().norm(dim=0).cpu().numpy()
    return frame


def label_role(scores: pd.Series | dict, length: int) -> tuple[str, str]:
    """``(role, detail)`` for one unit's scores, by the rules in the module docstring."""
    within = np.array([scores[f"within_x{k}"] for k in range(length)])
    order = np.argsort(-within)
    best = int(order[0])
    runner_up = float(within[order[1]]) if length > 1 else 0.0
    shares = {"step": scores["eta2_step"], "current base": scores["eta2_base"]}
    shares.update({f"x{k} (within step)": within[k] for k in range(length)})
    top = sorted(shares.items(), key=lambda kv: -kv[1])[:2]
    detail = ", ".join(f"{name} {value:.2f}" for name, value in top)
    if scores["std"] < INERT_STD:
        return "inert", f"std {scores['std']:.3f} < {INERT_STD}"
    if scores["eta2_step"] >= POSITION_SHARE:
        return "position", f"step explains {scores['eta2_step']:.2f}"
    if (
        scores["eta2_base"] >= BASE_SHARE
        and scores["eta2_base"] > within.max()
        and scores["eta2_token"] >= scores["eta2_step"]
    ):
        return "current base", f"current base explains {scores['eta2_base']:.2f}"
    if within[best] >= STORED_SHARE and within[best] >= STORED_MARGIN * runner_up:
        return f"stored base {best}", f"x{best} explains {within[best]:.2f} of within-step variance"
    return "mixed", detail


def unit_roles(
    source: RevCompLSTM | Trace,
    quantity: str = "hidden",
    seqs: torch.Tensor | None = None,
) -> pd.DataFrame:
    """:func:`unit_scores` plus ``role`` (see :data:`ROLES`), ``stored_base`` (k or -1) and ``detail``."""
    cache = _as_trace(source, seqs)
    frame = unit_scores(cache, quantity)
    length = cache.task.length
    labels = [label_role(row, length) for _, row in frame.iterrows()]
    frame.insert(2, "role", [role for role, _ in labels])
    frame.insert(3, "detail", [detail for _, detail in labels])
    frame.insert(
        3,
        "stored_base",
        [int(role.rsplit(" ", 1)[1]) if role.startswith("stored base") else -1 for role, _ in labels],
    )
    return frame


def roles_per_step(
    source: RevCompLSTM | Trace,
    quantity: str = "hidden",
    seqs: torch.Tensor | None = None,
) -> pd.DataFrame:
    """Within each step, the share of a unit's variance explained by each stored base and the input.

    Long format, one row per (unit, step, factor): columns ``quantity``,
    ``unit``, ``step``, ``position`` (output position emitted at that step, or
    ``<NA>``), ``variance`` (of the unit at that step), ``factor`` (``x0`` ...
    ``x{L-1}`` or ``input``) and ``eta2``. Within a step the step explains
    nothing, so this is the per-step view of "which base does this unit hold".
    """
    cache = _as_trace(source, seqs)
    task = cache.task
    T, L = cache.n_steps, task.length
    values = cache[quantity].detach().double().cpu()  # (B, T, U)
    n_units = values.shape[2]
    seqs_cpu = cache.seqs.cpu()
    tokens = cache.tokens.cpu()
    first = task.first_output_step
    rows = []
    for t in range(T):
        v = values[:, t]
        var = v.var(0, unbiased=False).numpy()
        factors = {f"x{k}": (seqs_cpu[:, k], 4) for k in range(L)}
        factors["input"] = (tokens[:, t], 6)
        position = t - first if first <= t < first + L else pd.NA
        for factor, (groups, n) in factors.items():
            eta = eta_squared(v, groups, n).numpy()
            for u in range(n_units):
                rows.append((quantity, u, t, position, float(var[u]), factor, float(eta[u])))
    frame = pd.DataFrame(rows, columns=["quantity", "unit", "step", "position", "variance", "factor", "eta2"])
    frame["position"] = frame["position"].astype("Int64")
    return frame


def role_counts(roles: pd.DataFrame) -> dict[str, int]:
    """How many units fall in each role family (``stored base k`` counted as ``stored base``)."""
    families = roles["role"].str.replace(r"^stored base \d+$", "stored base", regex=True)
    return {role: int((families == role).sum()) for role in ROLES}


def check_claim(roles: pd.DataFrame, ablations: pd.DataFrame | None = None) -> dict:
    """Test the write-up's claim "some neurons encode position, some base identity, and some do
    almost nothing" on a role table (and, if given, an ablation table from
    :func:`revcomp.causal.ablate_units`).

    Returns counts, the units in each part of the claim and a one-line
    ``verdict``: each of the three parts is ``supported`` when at least one unit
    qualifies. "Almost nothing" is judged two ways: by variance (``inert``) and,
    with ``ablations``, causally: every ablation method changes the share of
    sequences right at every answerable position by less than
    :data:`CAUSAL_INERT_CHANGE`.
    """
    counts = role_counts(roles)
    position = roles.loc[roles["role"] == "position", "unit"].tolist()
    base = roles.loc[roles["role"].str.contains("base"), "unit"].tolist()
    inert = roles.loc[roles["role"] == "inert", "unit"].tolist()
    result: dict = {
        "counts": counts,
        "position_units": position,
        "base_units": base,
        "inert_units": inert,
    }
    parts = {
        "position": bool(position),
        "base identity": bool(base),
        "almost nothing (variance)": bool(inert),
    }
    if ablations is not None:
        whole = ablations[(ablations["kind"] == "unit") & (ablations["scope"] == "answerable")]
        worst = whole.groupby("unit")["change"].apply(lambda s: float(s.abs().max()))
        causal_inert = [int(u) for u, w in worst.items() if w < CAUSAL_INERT_CHANGE]
        result["causally_inert_units"] = causal_inert
        result["largest_ablation_change"] = {int(u): float(w) for u, w in worst.items()}
        parts["almost nothing (ablation)"] = bool(causal_inert)
    result["parts"] = parts
    summary = "; ".join(f"{name}: {'supported' if ok else 'not found'}" for name, ok in parts.items())
    result["verdict"] = summary
    return result


# ---------------------------------------------------------------------------
# The three claims, judged on roles and ablations together

CLOCK_MIN_LOSS = 0.10
"""A clock unit loses at least this much whole-sequence accuracy when set to its overall mean ..."""
CLOCK_KEEP = 0.10
"""... but at most this share of that when set to its per-step mean: the model uses its time course."""
LITTLE = 0.05
"""A unit *costs little* when no ablation changes accuracy by this much."""
TARGETED = 3.0
"""A stored-base-k unit is *targeted* when its per-step mean costs the output that needs ``xk`` at least
this many times what it costs the other answerable outputs on average."""
CLAIMS = ("position", "base identity", "almost nothing")


def pts(x: float) -> str:
    """An accuracy difference in percentage points, one decimal below 10: ``pts(0.034) == '3.4 points'``."""
    value = 100 * x + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{value:.1f}" if abs(value) < 9.95 else f"{value:.0f}"
    return f"{text} point{'' if text in ('1', '1.0') else 's'}"


def units_text(units) -> str:
    """``[1, 4, 6]`` as ``'units 1, 4 and 6'``; ``[]`` as ``'no unit'``."""
    units = [str(u) for u in units]
    if len(units) < 2:
        return f"unit {units[0]}" if units else "no unit"
    return f"units {', '.join(units[:-1])} and {units[-1]}"


def _are(items) -> str:
    return "is" if len(items) == 1 else "are"


def unit_losses(ablations: pd.DataFrame) -> pd.DataFrame:
    """Whole-sequence accuracy *lost* (answerable positions) per unit (int index) and ablation method."""
    from revcomp.causal import ablation_summary

    lost = -ablation_summary(ablations).drop(index="random (mean)")
    lost.index = lost.index.astype(int)
    return lost


def stored_unit_effects(task, roles: pd.DataFrame, ablations: pd.DataFrame) -> pd.DataFrame:
    """For each ``stored base k`` unit whose output is answerable: accuracy lost under its per-step-mean
    ablation at the output that needs ``xk`` (``at_need``) and on average at the other answerable
    outputs (``elsewhere``). Columns ``unit``, ``base``, ``position``, ``at_need``, ``elsewhere``."""
    rows = ablations.query("kind == 'unit' and scope == 'position' and method == 'step_mean'")
    per_position = -rows.pivot_table(index="unit", columns="position", values="change")
    answerable = [p for p, ok in enumerate(task.answerable()) if ok]
    effects = []
    for u, k in roles.loc[roles["stored_base"] >= 0, ["unit", "stored_base"]].itertuples(index=False):
        need = task.length - 1 - k
        if need in answerable:
            rest = per_position.loc[u, [p for p in answerable if p != need]].mean()
            effects.append((int(u), int(k), need, float(per_position.loc[u, need]), float(rest)))
    return pd.DataFrame(effects, columns=["unit", "base", "position", "at_need", "elsewhere"])


def claim_verdicts(model: RevCompLSTM, roles: pd.DataFrame, ablations: pd.DataFrame) -> pd.DataFrame:
    """Judge the write-up's three claims on one model: one row per claim in :data:`CLAIMS`.

    ``roles`` is :func:`unit_roles` of the hidden state, ``ablations`` is
    :func:`revcomp.causal.ablate_units`. Columns: ``claim``; ``verdict``
    (``confirmed``, ``partly confirmed`` or ``refuted``); ``role_units`` (units
    the role rules put in that part of the claim); ``causal_units`` (units an
    ablation puts there); ``evidence`` (a sentence with the numbers). The tests:

    - *position*: role ``position``; causally a **clock** (loses at least
      :data:`CLOCK_MIN_LOSS` at its overall mean, at most :data:`CLOCK_KEEP` of
      that at its per-step mean). Confirmed with both, partly with one.
    - *base identity*: a ``current base`` or ``stored base`` role; causally a
      stored-base unit that is **targeted** (see :data:`TARGETED`). Refuted with
      no base unit, confirmed with a targeted one, partly otherwise.
    - *almost nothing*: role ``inert`` or causally inert (see
      :func:`check_claim`); partly when some unit costs less than :data:`LITTLE`.
    """
    H, lost = model.config.hidden_size, unit_losses(ablations)
    claim = check_claim(roles, ablations)
    counts = claim["counts"]
    rows = []

    position = claim["position_units"]
    clocks = lost.index[(lost["mean"] >= CLOCK_MIN_LOSS) & (lost["step_mean"] <= CLOCK_KEEP * lost["mean"])]
    clocks = [int(u) for u in clocks]
    text = f"{len(position)} of {H} units {_are(position)} position units by their role scores" + (
        f" ({units_text(position)})" if position else ""
    )
    text += f", and {len(clocks)} pass the clock test" + (
        f" ({units_text(clocks)}: zeroing costs {', '.join(pts(x) for x in lost.loc[clocks, 'zero'])}, "
        f"the per-step mean {', '.join(pts(x) for x in lost.loc[clocks, 'step_mean'])})"
        if clocks
        else ""
    )
    verdict = "confirmed" if position and clocks else "partly confirmed" if position or clocks else "refuted"
    rows.append(("position", verdict, position, clocks, text + "."))

    base = claim["base_units"]
    effects = stored_unit_effects(model.task, roles, ablations)
    targeted = effects[effects["at_need"] >= TARGETED * effects["elsewhere"]]
    text = (
        f"{len(base)} of {H} units {_are(base)} base units by their role scores "
        f"({counts['current base']} current base, {counts['stored base']} stored base)."
    )
    text += "".join(
        f" Unit {e.unit} stores `x{e.base}`: its per-step mean costs {pts(e.at_need)} at the output that "
        f"needs `x{e.base}`, {pts(e.elsewhere)} elsewhere."
        for e in targeted.itertuples()
    )
    if base:
        from revcomp.causal import ablation_summary

        random_cost = -ablation_summary(ablations).loc["random (mean)", "step_mean"]
        base_cost = lost.loc[base, "step_mean"].mean()
        text += f" A base unit's per-step mean costs {pts(base_cost)} on average, a random direction's " + (
            f"{pts(random_cost)}: the base units are no more important than arbitrary directions."
            if base_cost <= random_cost + LITTLE
            else f"{pts(random_cost)}: here base units matter {base_cost / random_cost:.1f}× as much."
        )
    verdict = "refuted" if not base else "confirmed" if len(targeted) else "partly confirmed"
    rows.append(("base identity", verdict, base, targeted["unit"].tolist(), text))

    inert = sorted(set(claim["inert_units"]) | set(claim["causally_inert_units"]))
    worst = lost.max(axis=1)
    little = [int(u) for u in worst.index[worst < LITTLE]]
    text = (
        f"{len(inert)} of {H} units {_are(inert)} inert or change accuracy by less than "
        f"{pts(CAUSAL_INERT_CHANGE)} under every ablation"
        + (f" ({units_text(inert)})" if inert else "")
        + f". The cheapest unit to lose, unit {worst.idxmin()}, costs {pts(worst.min())} under its most "
        f"damaging ablation; the quietest, unit {roles['std'].idxmin()}, has a standard deviation of "
        f"{roles['std'].min():.2f}"
        + (
            f"; {len(little)} cost less than {pts(LITTLE)} ({units_text(little)})"
            if little and not inert
            else ""
        )
    )
    verdict = "confirmed" if inert else "partly confirmed" if little else "refuted"
    rows.append(
        ("almost nothing", verdict, claim["inert_units"], claim["causally_inert_units"] or little, text + ".")
    )
    return pd.DataFrame(rows, columns=["claim", "verdict", "role_units", "causal_units", "evidence"])


def claim_table(roles: dict[str, pd.DataFrame], verdicts: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Side by side, one column per model: hidden units, :func:`role_counts`, the number of causal clock
    units and the verdict on each claim. ``roles`` maps a model name to its :func:`unit_roles`,
    ``verdicts`` to its :func:`claim_verdicts`."""
    columns = {}
    for name, frame in verdicts.items():
        by_claim = frame.set_index("claim")
        columns[name] = {
            "hidden units": len(roles[name]),
            **role_counts(roles[name]),
            "clock units (causal)": len(by_claim.loc["position", "causal_units"]),
            **{f"{claim}?": verdict for claim, verdict in by_claim["verdict"].items()},
        }
    return pd.DataFrame(columns)
