"""The numbers the reflection essay (docs/reflection.md) quotes, computed from the shipped models.

``tests/test_reflection.py`` checks that every number in the essay equals what this computes,
so the essay cannot drift from the models. Run it directly to print the facts.
"""

from __future__ import annotations

import json
from functools import cache

import torch

import revcomp
from revcomp.causal import ablate_units, ablation_summary, interchange
from revcomp.geometry import pca
from revcomp.probes import probe_accuracy
from revcomp.roles import role_counts, unit_roles
from revcomp.trace import analysis_sequences, trace


def points(change: float) -> int:
    """An accuracy change as whole percentage points lost."""
    return round(-100 * change)


@cache
def facts() -> dict:
    torch.set_num_threads(1)
    out: dict = {}
    model = revcomp.load_model("delayed-L5-H8")
    out["l5_correct"] = revcomp.evaluate(model, exhaustive=True).whole_sequence_correct
    roles = unit_roles(model)
    out["l5_roles"] = role_counts(roles)
    out["l5_units"] = len(roles)
    summary = ablation_summary(ablate_units(model))
    units = summary.drop(index="random (mean)")
    out["l5_zero_min"] = points(units["zero"].max())
    out["l5_zero_max"] = points(units["zero"].min())
    out["l5_random_zero"] = points(summary.loc["random (mean)", "zero"])
    # Units whose per-step mean keeps at least half of what zeroing destroys: they carry the clock.
    kept = units[units["step_mean"] >= 0.5 * units["zero"]]
    out["l5_clock_like"] = len(kept)
    patched = interchange(model)
    should = patched[patched["expected"] == "A"].groupby("state")["switched"].mean()
    out["l5_patch_both"] = round(100 * should["both"])
    out["l5_patch_cell"] = round(100 * should["cell"])
    out["l5_patch_hidden"] = round(100 * should["hidden"])
    probes = probe_accuracy(model, quantities=("hidden",))
    read = probes[probes["read"]]
    means = read.groupby("probe")["test_accuracy"].mean()
    out["l5_probe_linear"] = round(float(means["linear"]), 2)
    out["l5_probe_mlp"] = round(float(means["mlp"]), 2)
    everything = trace(model, analysis_sequences(5))
    out["l5_pca2"] = round(100 * float(pca(everything, "hidden").explained_variance_ratio[:2].sum()))

    aligned = unit_roles(revcomp.load_model("aligned-L5-H8"))
    out["aligned_stored"] = role_counts(aligned)["stored base"]
    out["aligned_stored_bases"] = sorted({int(b) for b in aligned["stored_base"].dropna() if b >= 0})

    big = revcomp.load_model("delayed-L10-H32")
    out["l10_hidden"] = big.config.hidden_size
    out["l10_roles"] = role_counts(unit_roles(big))
    return out


if __name__ == "__main__":
    print(json.dumps(facts(), indent=2))
