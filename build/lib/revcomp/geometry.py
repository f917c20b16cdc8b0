"""Geometry and dynamics: PCA of state trajectories, gate saturation, and clamping saturated gates.

- :func:`pca` / :func:`pca_frame`: principal components of the hidden (or
  cell) states pooled over sequences and steps, by numpy SVD of the centred
  ``(batch * steps, H)`` matrix; the frame gives each (sequence, step) its
  coordinates, for trajectory charts.
- :func:`gate_saturation`: per gate and unit, the share of (sequence, step)
  values below ``low`` (0.1) or above ``high`` (0.9): a saturated gate acts
  like a switch.
- :func:`clamped_gate_accuracy`: accuracy when every gate value below ``low``
  is set to exactly 0 and above ``high`` to exactly 1 (the cell candidate,
  a tanh, to -1/1 beyond -high/high). If accuracy holds, the model's logic is
  effectively discrete switches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from revcomp.interventions import clamp_saturated
from revcomp.model import RevCompLSTM
from revcomp.trace import GATE_NAMES, Trace, analysis_sequences, sequence_frame, trace


@dataclass
class PCAResult:
    """Principal components of one internal: ``components`` ``(k, H)`` (rows, unit norm),
    ``explained_variance_ratio`` ``(k,)``, ``singular_values`` ``(k,)`` and the ``mean`` ``(H,)``."""

    name: str
    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    singular_values: np.ndarray

    def project(self, values: np.ndarray | torch.Tensor) -> np.ndarray:
        """Coordinates ``(..., k)`` of values ``(..., H)`` on the components."""
        x = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
        return (x - self.mean) @ self.components.T


def pca(cache: Trace, name: str = "hidden", n_components: int | None = None) -> PCAResult:
    """PCA of ``cache[name]`` over all sequences and steps (numpy SVD of the centred matrix)."""
    values = cache[name].detach().cpu().double().numpy()
    flat = values.reshape(-1, values.shape[-1])
    mean = flat.mean(0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    variance = s**2
    total = variance.sum()
    ratio = variance / total if total > 0 else np.zeros_like(variance)
    k = len(s) if n_components is None else min(n_components, len(s))
    # Fix each component's sign (largest-magnitude loading positive) so results are reproducible.
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(1)])
    signs[signs == 0] = 1
    vt = vt * signs[:, None]
    return PCAResult(name, mean, vt[:k], ratio[:k], s[:k])


def pca_frame(
    cache: Trace, name: str = "hidden", n_components: int = 3, result: PCAResult | None = None
) -> pd.DataFrame:
    """One row per (sequence, step) with its coordinates ``pc1`` ... ``pc{n}``.

    Context columns as in :func:`revcomp.trace.activation_frame` (``sequence``,
    ``dna``, ``step``, ``position``, ``token``, ``input``, ``target``,
    ``predicted``, ``x0`` ...) plus ``quantity``. Pass ``result`` to project on
    components fitted elsewhere.
    """
    result = pca(cache, name, n_components) if result is None else result
    coords = result.project(cache[name]).reshape(-1, result.components.shape[0])
    frame = sequence_frame(cache)
    frame["quantity"] = name
    for i in range(min(n_components, coords.shape[1])):
        frame[f"pc{i + 1}"] = coords[:, i]
    return frame


def gate_saturation(cache: Trace, low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
    """Per gate and unit: ``share_low`` (< ``low``), ``share_high`` (> ``high``), ``share_saturated``
    (their sum), ``mean`` and ``std``.

    For ``cell_candidate`` (range -1..1) "low" means ``< -high`` and "high" ``> high``.
    """
    rows = []
    for gate in GATE_NAMES:
        values = cache[gate].detach().cpu().double().reshape(-1, cache.hidden_size)
        lo = (values < -high) if gate == "cell_candidate" else (values < low)
        hi = values > high
        for u in range(cache.hidden_size):
            share_low = float(lo[:, u].double().mean())
            share_high = float(hi[:, u].double().mean())
            rows.append(
                {
                    "gate": gate,
                    "unit": u,
                    "share_low": share_low,
                    "share_high": share_high,
                    "share_saturated": share_low + share_high,
                    "mean": float(values[:, u].mean()),
                    "std": float(values[:, u].std(unbiased=False)),
                }
            )
    return pd.DataFrame(rows)


def clamped_gate_accuracy(
    model: RevCompLSTM,
    seqs: torch.Tensor | None = None,
    *,
    low: float = 0.1,
    high: float = 0.9,
    gates: Sequence[str] = ("input_gate", "forget_gate", "output_gate"),
) -> pd.DataFrame:
    """Accuracy with saturated gate values clamped to exactly 0/1, one gate at a time and all together.

    One row per condition (``none``, each gate, ``all``): ``gates``,
    ``whole_sequence`` (share of sequences right everywhere), ``answerable``
    (right at every answerable position), ``acc_pos0`` ... per output
    position, and ``clamped_share`` (share of that gate's values that were
    clamped).
    """
    seqs = analysis_sequences(model.task.length) if seqs is None else seqs
    reference = trace(model, seqs)
    conditions: list[tuple[str, list[str]]] = (
        [("none", [])] + [(g, [g]) for g in gates] + [("all", list(gates))]
    )
    answerable = torch.tensor(model.task.answerable())
    rows = []
    for label, chosen in conditions:
        cache = trace(model, seqs, interventions=[clamp_saturated(g, low, high) for g in chosen])
        hits = cache.correct
        clamped = []
        for g in chosen:
            values = reference[g]
            if g == "cell_candidate":
                clamped.append(float(((values > high) | (values < -high)).double().mean()))
            else:
                clamped.append(float(((values > high) | (values < low)).double().mean()))
        row = {
            "gates": label,
            "whole_sequence": float(hits.all(1).double().mean()),
            "answerable": float(hits[:, answerable].all(1).double().mean()),
            "clamped_share": float(np.mean(clamped)) if clamped else 0.0,
        }
        for p, acc in enumerate(hits.double().mean(0).tolist()):
            row[f"acc_pos{p}"] = acc
        rows.append(row)
    return pd.DataFrame(rows)
