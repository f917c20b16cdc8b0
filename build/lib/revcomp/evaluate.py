"""Measuring a model: per-position accuracy against the Bayes ceiling.

"Whole-sequence accuracy" is the share of inputs whose every output base is
right. For the ``aligned`` task that is capped by the unanswerable positions, so
training also tracks *answerable* whole-sequence accuracy: every position that
can be answered is answered right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import torch

from revcomp.model import RevCompLSTM
from revcomp.tasks import all_sequences, random_sequences


@dataclass
class EvalResult:
    """Accuracy of a model on a set of inputs."""

    per_position_accuracy: list[float]
    ceiling: list[float]
    whole_sequence_accuracy: float
    answerable_whole_sequence_accuracy: float
    inputs_checked: int
    exhaustive: bool
    whole_sequence_correct: int

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def max_gap_to_ceiling(self) -> float:
        """Largest shortfall below the ceiling over output positions (0 if none)."""
        return max(0.0, *(c - a for a, c in zip(self.per_position_accuracy, self.ceiling, strict=True)))


class _Tally:
    def __init__(self, model: RevCompLSTM) -> None:
        self.answerable = torch.tensor(model.task.answerable())
        self.correct_per_position = torch.zeros(model.task.length, dtype=torch.long)
        self.whole = 0
        self.answerable_whole = 0
        self.n = 0

    def add(self, model: RevCompLSTM, seqs: torch.Tensor) -> None:
        hits = model.predict_codes(seqs) == model.task.targets(seqs)
        self.correct_per_position += hits.sum(0)
        self.whole += int(hits.all(1).sum())
        self.answerable_whole += int(hits[:, self.answerable].all(1).sum())
        self.n += seqs.shape[0]


def evaluate_batches(model: RevCompLSTM, batches: Iterable[torch.Tensor], exhaustive: bool) -> EvalResult:
    """Accuracy of ``model`` over the given batches of base codes."""
    was_training = model.training
    model.eval()
    tally = _Tally(model)
    with torch.no_grad():
        for seqs in batches:
            tally.add(model, seqs)
    model.train(was_training)
    if tally.n == 0:
        raise ValueError("no inputs to evaluate")
    return EvalResult(
        per_position_accuracy=(tally.correct_per_position.double() / tally.n).tolist(),
        ceiling=model.task.ceiling(),
        whole_sequence_accuracy=tally.whole / tally.n,
        answerable_whole_sequence_accuracy=tally.answerable_whole / tally.n,
        inputs_checked=tally.n,
        exhaustive=exhaustive,
        whole_sequence_correct=tally.whole,
    )


def evaluate(
    model: RevCompLSTM,
    *,
    exhaustive: bool = False,
    samples: int = 10_000,
    seed: int = 12345,
    batch_size: int = 65536,
) -> EvalResult:
    """Evaluate on all ``4**L`` inputs (``exhaustive=True``) or on ``samples`` random ones."""
    length = model.task.length
    if exhaustive:
        return evaluate_batches(model, all_sequences(length, batch_size), exhaustive=True)
    if samples < 1:
        raise ValueError(f"samples must be positive, got {samples}")
    generator = torch.Generator().manual_seed(seed)
    sizes = [batch_size] * (samples // batch_size) + ([samples % batch_size] if samples % batch_size else [])
    batches = (random_sequences(n, length, generator) for n in sizes)
    return evaluate_batches(model, batches, exhaustive=False)
