"""Data and the two ways of framing reverse complement for a left-to-right LSTM.

An LSTM reads one symbol per step and can emit one prediction per step. The
answer's first base is the complement of the input's *last* base, so when the
model has to answer matters:

``aligned`` -- the original write-up's literal set-up. The model reads base
``t`` and emits output ``t`` at the same step; ``target[t] = complement(x[L-1-t])``.
For ``t < (L-1)/2`` the needed base has not been read yet, so no model can beat
chance (0.25) there. :meth:`Task.ceiling` gives this exact Bayes ceiling.

``delayed`` -- read, then write. The input is ``x[0..L-1]``, then a GO token,
then ``L-1`` BLANK tokens (``2L`` steps; GO=4, BLANK=5). Outputs are read on
steps ``L..2L-1`` and must equal the reverse complement. Every output is
answerable, so the ceiling is 1.0 everywhere.

Sequences are uniformly random (from a seeded ``torch.Generator``) or, for small
``L``, all ``4**L`` of them enumerated in batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from revcomp.dna import reverse_complement_codes

GO = 4
BLANK = 5
TASKS = ("aligned", "delayed")
MAX_EXHAUSTIVE_LENGTH = 12


@dataclass(frozen=True)
class Task:
    """A task framing at a fixed sequence length."""

    name: str
    length: int

    def __post_init__(self) -> None:
        if self.name not in TASKS:
            raise ValueError(f"unknown task {self.name!r}: choose one of {', '.join(TASKS)}")
        if not isinstance(self.length, int) or self.length < 1:
            raise ValueError(f"sequence length must be a positive integer, got {self.length!r}")

    @property
    def n_steps(self) -> int:
        """How many input steps the LSTM runs for."""
        return self.length if self.name == "aligned" else 2 * self.length

    @property
    def input_size(self) -> int:
        """Size of the one-hot input: 4 bases, plus GO and BLANK for ``delayed``."""
        return 4 if self.name == "aligned" else 6

    @property
    def first_output_step(self) -> int:
        """The step at which output position 0 is read."""
        return 0 if self.name == "aligned" else self.length

    def output_step(self, position: int) -> int:
        """The LSTM step that emits output ``position``."""
        return self.first_output_step + position

    def inputs(self, seqs: torch.Tensor) -> torch.Tensor:
        """Token ids ``(batch, n_steps)`` fed to the LSTM for base codes ``(batch, L)``."""
        self.check_sequences(seqs)
        if self.name == "aligned":
            return seqs
        batch = seqs.shape[0]
        tail = torch.full((batch, self.length), BLANK, dtype=torch.long, device=seqs.device)
        tail[:, 0] = GO
        return torch.cat([seqs, tail], dim=1)

    def targets(self, seqs: torch.Tensor) -> torch.Tensor:
        """Target codes ``(batch, L)``: the reverse complement, in output order."""
        self.check_sequences(seqs)
        return reverse_complement_codes(seqs)

    def check_sequences(self, seqs: torch.Tensor) -> None:
        if seqs.dim() != 2 or seqs.shape[1] != self.length:
            raise ValueError(f"expected base codes of shape (batch, {self.length}), got {tuple(seqs.shape)}")

    def answerable(self) -> list[bool]:
        """For each output position, whether its answer has been read by the time it is emitted."""
        if self.name == "delayed":
            return [True] * self.length
        # Output t needs x[L-1-t], read at step L-1-t; it is emitted at step t.
        return [self.length - 1 - t <= t for t in range(self.length)]

    def ceiling(self) -> list[float]:
        """Exact Bayes-optimal accuracy per output position (0.25 where unanswerable)."""
        return [1.0 if ok else 0.25 for ok in self.answerable()]

    def whole_sequence_ceiling(self) -> float:
        """Best possible probability of getting every output position right."""
        unanswerable = self.answerable().count(False)
        return 0.25**unanswerable


def random_sequences(n: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` uniformly random sequences of base codes, shape ``(n, length)``."""
    return torch.randint(0, 4, (n, length), generator=generator, dtype=torch.long)


def sequences_from_indices(indices: torch.Tensor, length: int) -> torch.Tensor:
    """The sequences numbered ``indices`` in base-4 order (position 0 is the most significant digit)."""
    powers = 4 ** torch.arange(length - 1, -1, -1, dtype=torch.long)
    return (indices.unsqueeze(1) // powers) % 4


def all_sequences(length: int, batch_size: int = 65536) -> Iterator[torch.Tensor]:
    """Every one of the ``4**length`` sequences, in batches (L=10 is 1,048,576 sequences)."""
    if length > MAX_EXHAUSTIVE_LENGTH:
        raise ValueError(
            f"exhaustive enumeration of length {length} means 4**{length} = {4**length:,} sequences; "
            f"lengths above {MAX_EXHAUSTIVE_LENGTH} are refused -- sample instead"
        )
    total = 4**length
    for start in range(0, total, batch_size):
        indices = torch.arange(start, min(start + batch_size, total), dtype=torch.long)
        yield sequences_from_indices(indices, length)


def ceiling_by_enumeration(task: Task) -> list[float]:
    """The Bayes ceiling computed from scratch, as a check on :meth:`Task.ceiling`.

    Enumerates all ``4**L`` sequences. At output position ``t`` a model has
    seen exactly the tokens up to step ``task.output_step(t)``; the best it can
    do is to answer, for each such prefix, the target most often seen with it.
    The ceiling is the share of sequences that answer gets right.
    """
    seqs = torch.cat(list(all_sequences(task.length)))
    tokens, targets = task.inputs(seqs), task.targets(seqs)
    ceiling = []
    for position in range(task.length):
        seen = tokens[:, : task.output_step(position) + 1]
        # Number each distinct prefix (as a base-6 integer), then count (prefix, target) pairs.
        prefix_key = (seen * 6 ** torch.arange(seen.shape[1] - 1, -1, -1)).sum(1)
        _, prefix_id = torch.unique(prefix_key, return_inverse=True)
        pair_counts = torch.zeros(int(prefix_id.max()) + 1, 4, dtype=torch.long)
        pair_counts.index_put_((prefix_id, targets[:, position]), torch.ones_like(prefix_id), accumulate=True)
        ceiling.append(pair_counts.max(dim=1).values.sum().item() / len(seqs))
    return ceiling
