"""Probes: can stored base ``x[k]`` be read off the hidden (or cell) state at step ``t``?

Two kinds, both written in torch and deterministic (fixed initialisation from
a seeded generator, full-batch optimisation):

- ``linear``: multinomial logistic regression (4 classes), L2 penalty
  ``l2 * |W|^2``, fitted with full-batch L-BFGS (strong-Wolfe line search).
- ``mlp``: one hidden layer of ``hidden`` ReLU units, fitted with full-batch
  Adam for ``steps`` iterations.

Features are standardised with the training split's mean and standard
deviation. Many probes (one per step and base) are fitted at once as one
batched problem: their losses are summed, and since no parameter is shared
each probe's gradient is its own (Adam is element-wise, so a batched MLP fit
equals separate fits; the convex linear fits reach the same optimum).

A linear probe failing where an MLP probe succeeds means the information is
there but not linearly decodable -- the "onion" encodings Csordas et al.
(2024) found in small RNNs that store sequences. :func:`probe_accuracy` reports
both so the gap can be read off either way.

Inputs are split by sequence into a training and a held-out part
(``test_fraction``); all accuracies in the tables are held-out unless named
``train_accuracy``. When the inputs are all ``4**L`` sequences, a probe for a
base the state does not carry scores *below* 0.25 held-out (about 0.18 at
L=5): with a balanced whole, the base most common in the training part is the
least common in the held-out part. Read "at chance" as "at or below 0.25".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from revcomp.model import RevCompLSTM
from revcomp.trace import Trace, analysis_sequences, trace

PROBE_KINDS = ("linear", "mlp")
"""The probe kinds :func:`fit_probes` knows."""


@dataclass
class ProbeSet:
    """``P`` fitted probes of one kind, each mapping ``D`` features to ``n_classes`` logits.

    ``params`` holds ``W (P, D, C)`` and ``b (P, C)`` for ``linear``, or
    ``W1 (P, D, M)``, ``b1 (P, M)``, ``W2 (P, M, C)``, ``b2 (P, C)`` for ``mlp``;
    ``mean``/``std`` ``(P, D)`` standardise the features; ``keep`` ``(P, D)`` is 0
    for features that were constant in training (they are ignored: standardising
    them would only amplify rounding noise).
    """

    kind: str
    params: dict[str, torch.Tensor]
    mean: torch.Tensor
    std: torch.Tensor
    keep: torch.Tensor

    def standardise(self, features: torch.Tensor) -> torch.Tensor:
        x = _batched(features).to(self.mean.dtype)
        return (x - self.mean[:, None]) / self.std[:, None] * self.keep[:, None]

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """Logits ``(P, N, C)`` for features ``(P, N, D)`` (or ``(N, D)`` when ``P == 1``)."""
        return _forward(self.kind, self.params, self.standardise(features))

    def predict(self, features: torch.Tensor) -> torch.Tensor:
        """Predicted classes ``(P, N)``."""
        return self.logits(features).argmax(-1)

    def accuracy(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Share correct per probe, ``(P,)``."""
        return (self.predict(features) == _batched(labels)).double().mean(-1)

    def raw_weights(self) -> torch.Tensor:
        """For ``linear`` probes: weights ``(P, D, C)`` acting on the raw (unstandardised) features."""
        if self.kind != "linear":
            raise ValueError("raw weights are defined for linear probes only")
        return self.params["W"] * (self.keep / self.std)[:, :, None]

    def subspace(self, index: int = 0, tol: float = 1e-6) -> torch.Tensor:
        """Orthonormal basis ``(D, r)`` of the directions probe ``index`` reads (``r <= C - 1``).

        Softmax ignores a shift shared by all classes, so only the class
        weights' differences matter: the basis spans the columns of the raw
        weights after subtracting their mean over classes.
        """
        w = self.raw_weights()[index].double()
        w = w - w.mean(1, keepdim=True)
        u, s, _ = torch.linalg.svd(w, full_matrices=False)
        return u[:, s > tol * max(float(s.max()), 1e-30)]


def _batched(x: torch.Tensor) -> torch.Tensor:
    return x.unsqueeze(0) if x.dim() == (2 if x.is_floating_point() else 1) else x


def _forward(kind: str, p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    if kind == "linear":
        return torch.baddbmm(p["b"][:, None], x, p["W"])
    hidden = torch.relu(torch.baddbmm(p["b1"][:, None], x, p["W1"]))
    return torch.baddbmm(p["b2"][:, None], hidden, p["W2"])


def fit_probes(
    features: torch.Tensor,
    labels: torch.Tensor,
    kind: str = "linear",
    *,
    n_classes: int = 4,
    l2: float = 1e-3,
    hidden: int = 32,
    steps: int | None = None,
    learning_rate: float = 3e-2,
    seed: int = 0,
) -> ProbeSet:
    """Fit ``P`` probes at once: features ``(P, N, D)`` or ``(N, D)``, integer labels ``(P, N)`` or ``(N,)``.

    ``linear``: L-BFGS for up to ``steps`` (default 50) iterations. ``mlp``:
    ``hidden`` ReLU units, Adam with ``learning_rate`` for ``steps`` (default
    200) iterations. ``l2`` penalises the squared weights (not biases) of every
    layer. Deterministic for a given ``seed`` and thread count.
    """
    if kind not in PROBE_KINDS:
        raise ValueError(f"unknown probe kind {kind!r}: choose one of {', '.join(PROBE_KINDS)}")
    x = _batched(features).float()
    y = _batched(labels).long()
    if x.shape[:2] != y.shape:
        raise ValueError(f"features {tuple(x.shape)} and labels {tuple(y.shape)} do not match")
    P, N, D = x.shape
    mean = x.mean(1)
    std = x.std(1, unbiased=False)
    keep = (std > 1e-5 * (1 + mean.abs())).to(x.dtype)
    std = torch.where(keep > 0, std, torch.ones_like(std))
    z = (x - mean[:, None]) / std[:, None] * keep[:, None]
    generator = torch.Generator().manual_seed(seed)
    if kind == "linear":
        params = {
            "W": torch.zeros(P, D, n_classes),
            "b": torch.zeros(P, n_classes),
        }
    else:
        bound1, bound2 = 1 / D**0.5, 1 / hidden**0.5

        def uniform(*shape: int, bound: float) -> torch.Tensor:
            return (torch.rand(*shape, generator=generator) * 2 - 1) * bound

        params = {
            "W1": uniform(P, D, hidden, bound=bound1),
            "b1": uniform(P, hidden, bound=bound1),
            "W2": uniform(P, hidden, n_classes, bound=bound2),
            "b2": uniform(P, n_classes, bound=bound2),
        }
    for tensor in params.values():
        tensor.requires_grad_(True)
    weights = [t for name, t in params.items() if name.startswith("W")]
    loss_fn = nn.CrossEntropyLoss(reduction="sum")

    def loss() -> torch.Tensor:
        logits = _forward(kind, params, z)
        data = loss_fn(logits.reshape(P * N, -1), y.reshape(-1)) / N  # sum over probes of mean CE
        return data + l2 * sum((w**2).sum() for w in weights)

    with torch.enable_grad():
        if kind == "linear":
            optimizer = torch.optim.LBFGS(
                list(params.values()),
                lr=1.0,
                max_iter=steps or 50,
                tolerance_grad=1e-7,
                tolerance_change=1e-10,
                history_size=20,
                line_search_fn="strong_wolfe",
            )

            def closure() -> torch.Tensor:
                optimizer.zero_grad()
                value = loss()
                value.backward()
                return value

            optimizer.step(closure)
        else:
            optimizer = torch.optim.Adam(list(params.values()), lr=learning_rate)
            for _ in range(steps or 200):
                optimizer.zero_grad()
                loss().backward()
                optimizer.step()
    return ProbeSet(kind, {k: v.detach() for k, v in params.items()}, mean, std, keep)


def split_sequences(n: int, test_fraction: float = 1 / 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Row indices ``(train, test)`` of a seeded random split of ``n`` sequences."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_test = max(1, int(round(n * test_fraction)))
    return order[n_test:], order[:n_test]


def base_probe_data(
    cache: Trace,
    quantity: str,
    steps: Sequence[int],
    bases: Sequence[int],
    pairs: Sequence[tuple[int, int]] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[tuple[int, int]]]:
    """Features ``(P, B, D)`` and labels ``(P, B)`` for one probe per (step, base) pair, and the pairs.

    The pairs are every ``steps`` x ``bases`` combination, or ``pairs`` if given.
    """
    values = cache[quantity].detach().float().cpu()
    seqs = cache.seqs.cpu()
    pairs = [(t, k) for t in steps for k in bases] if pairs is None else [(int(t), int(k)) for t, k in pairs]
    features = torch.stack([values[:, t] for t, _ in pairs])
    labels = torch.stack([seqs[:, k] for _, k in pairs])
    return features, labels, pairs


def probe_accuracy(
    source: RevCompLSTM | Trace,
    seqs: torch.Tensor | None = None,
    *,
    quantities: Sequence[str] = ("hidden", "cell"),
    kinds: Sequence[str] = PROBE_KINDS,
    steps: Sequence[int] | None = None,
    bases: Sequence[int] | None = None,
    pairs: Sequence[tuple[int, int]] | None = None,
    test_fraction: float = 1 / 3,
    hidden: int = 32,
    mlp_steps: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Held-out accuracy of probes decoding each stored base ``x[k]`` from each step's state.

    Probes every (step, base) in ``steps`` x ``bases`` (default: all), or only
    the given ``(step, base)`` ``pairs``. ``hidden`` and ``mlp_steps`` size the
    MLP probes (see :func:`fit_probes`).

    One row per (quantity, probe kind, step, base): columns ``quantity``,
    ``probe`` (``linear``/``mlp``), ``step``, ``position`` (output position
    emitted at that step or ``<NA>``), ``base`` (k), ``read`` (has ``x[k]``
    been read by this step: ``k <= step``), ``train_accuracy``,
    ``test_accuracy``, ``chance`` (the held-out share of the most common
    base, about 0.25), ``n_train``, ``n_test``. Before ``x[k]`` is read the
    probe must be at chance: a built-in control.
    """
    cache = (
        source
        if isinstance(source, Trace)
        else trace(source, analysis_sequences(source.task.length) if seqs is None else seqs)
    )
    task = cache.task
    steps = list(range(task.n_steps)) if steps is None else list(steps)
    bases = list(range(task.length)) if bases is None else list(bases)
    train, test = split_sequences(cache.batch_size, test_fraction, seed)
    first = task.first_output_step
    # One batched fit per probe kind over every (quantity, step, base): fewer, larger problems.
    blocks = [base_probe_data(cache, quantity, steps, bases, pairs) for quantity in quantities]
    sizes = {block[0].shape[-1] for block in blocks}
    groups = [list(range(len(blocks)))] if len(sizes) == 1 else [[i] for i in range(len(blocks))]
    rows = []
    for group in groups:
        features = torch.cat([blocks[i][0] for i in group])
        labels = torch.cat([blocks[i][1] for i in group])
        index_info = [(quantities[i], t, k) for i in group for t, k in blocks[i][2]]
        for kind in kinds:
            probes = fit_probes(
                features[:, train],
                labels[:, train],
                kind,
                hidden=hidden,
                steps=None if kind == "linear" else mlp_steps,
                seed=seed,
            )
            train_acc = probes.accuracy(features[:, train], labels[:, train])
            test_acc = probes.accuracy(features[:, test], labels[:, test])
            for index, (quantity, t, k) in enumerate(index_info):
                chance = float(torch.bincount(labels[index, test], minlength=4).max()) / len(test)
                rows.append(
                    {
                        "quantity": quantity,
                        "probe": kind,
                        "step": t,
                        "position": t - first if first <= t < first + task.length else pd.NA,
                        "base": k,
                        "read": k <= t,
                        "train_accuracy": float(train_acc[index]),
                        "test_accuracy": float(test_acc[index]),
                        "chance": chance,
                        "n_train": len(train),
                        "n_test": len(test),
                    }
                )
    frame = pd.DataFrame(rows)
    frame["position"] = frame["position"].astype("Int64")
    order = {(q, kind): i for i, (q, kind) in enumerate((q, kind) for q in quantities for kind in kinds)}
    frame["_order"] = [order[(q, kind)] for q, kind in zip(frame["quantity"], frame["probe"], strict=True)]
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def probe_gap(table: pd.DataFrame) -> pd.DataFrame:
    """Linear vs MLP held-out accuracy side by side, per (quantity, step, base), with ``gap = mlp - linear``.

    Only rows where the base has been read are kept (before that both are at chance).
    """
    read = table[table["read"]]
    wide = read.pivot_table(
        index=["quantity", "step", "base"], columns="probe", values="test_accuracy"
    ).reset_index()
    wide.columns.name = None
    if {"linear", "mlp"} <= set(wide.columns):
        wide["gap"] = wide["mlp"] - wide["linear"]
    return wide


def linear_probe(
    cache: Trace, quantity: str, step: int, base: int, rows: torch.Tensor | None = None, l2: float = 1e-3
) -> ProbeSet:
    """One linear probe for ``x[base]`` from ``quantity`` at ``step``, fitted on ``rows`` (default all)."""
    features, labels, _ = base_probe_data(cache, quantity, [step], [base])
    if rows is not None:
        features, labels = features[:, rows], labels[:, rows]
    return fit_probes(features, labels, "linear", l2=l2)
