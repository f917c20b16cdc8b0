"""The two framings, their Bayes ceilings, random batches and exhaustive enumeration."""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict

import pytest
import torch

from revcomp import Config, build_model, evaluate
from revcomp.dna import decode, encode_batch, reverse_complement
from revcomp.tasks import (
    BLANK,
    GO,
    MAX_EXHAUSTIVE_LENGTH,
    Task,
    all_sequences,
    random_sequences,
    sequences_from_indices,
)


def some_sequences(length: int, n: int = 64, seed: int = 0) -> torch.Tensor:
    return random_sequences(n, length, torch.Generator().manual_seed(seed))


# --- framings -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["aligned", "delayed"])
@pytest.mark.parametrize("length", [1, 2, 5, 10])
def test_targets_are_the_reverse_complement(name, length):
    task = Task(name, length)
    seqs = some_sequences(length)
    targets = task.targets(seqs)
    assert targets.shape == seqs.shape
    for row, target in zip(seqs, targets, strict=True):
        assert decode(target) == reverse_complement(decode(row))
    # Position by position: target_t = complement(x[L-1-t]) = x[L-1-t] XOR 1.
    for t in range(length):
        assert torch.equal(targets[:, t], seqs[:, length - 1 - t] ^ 1)


def test_aligned_inputs_are_the_sequence_and_outputs_start_at_step_zero():
    task = Task("aligned", 5)
    seqs = some_sequences(5)
    assert torch.equal(task.inputs(seqs), seqs)
    assert (task.n_steps, task.input_size, task.first_output_step) == (5, 4, 0)
    assert [task.output_step(t) for t in range(5)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("length", [1, 3, 5, 10])
def test_delayed_inputs_are_sequence_go_then_blanks(length):
    task = Task("delayed", length)
    seqs = some_sequences(length)
    tokens = task.inputs(seqs)
    assert tokens.shape == (seqs.shape[0], 2 * length)
    assert torch.equal(tokens[:, :length], seqs)
    assert (tokens[:, length] == GO).all()
    assert (tokens[:, length + 1 :] == BLANK).all()
    assert (task.n_steps, task.input_size, task.first_output_step) == (2 * length, 6, length)
    assert [task.output_step(t) for t in range(length)] == list(range(length, 2 * length))
    assert (GO, BLANK) == (4, 5)


def test_model_reads_outputs_on_the_framing_output_steps():
    """output_logits must be the logits at steps L..2L-1 (delayed), i.e. after the GO token."""
    model = build_model(Config(task="delayed", length=4, hidden_size=8))
    seqs = some_sequences(4, n=8)
    full = model(model.task.inputs(seqs))
    assert full.shape == (8, 8, 4)
    assert torch.equal(model.output_logits(seqs), full[:, 4:8])


@pytest.mark.parametrize("name", ["aligned", "delayed"])
def test_inputs_and_targets_check_the_shape(name):
    task = Task(name, 5)
    for bad in (torch.zeros(3, 4, dtype=torch.long), torch.zeros(5, dtype=torch.long)):
        with pytest.raises(ValueError, match=r"expected base codes of shape \(batch, 5\)"):
            task.inputs(bad)
        with pytest.raises(ValueError, match=r"expected base codes of shape \(batch, 5\)"):
            task.targets(bad)


@pytest.mark.parametrize(
    ("name", "length", "message"),
    [
        ("sideways", 5, "unknown task"),
        ("aligned", 0, "positive integer"),
        ("delayed", -3, "positive integer"),
    ],
)
def test_task_validation(name, length, message):
    with pytest.raises(ValueError, match=message):
        Task(name, length)


# --- Bayes ceilings ---------------------------------------------------------------------------


def test_aligned_ceiling_length_5():
    task = Task("aligned", 5)
    assert task.ceiling() == [0.25, 0.25, 1.0, 1.0, 1.0]
    assert sum(task.ceiling()) / 5 == pytest.approx(0.70)
    assert task.whole_sequence_ceiling() == 1 / 16


def test_aligned_ceiling_length_10():
    task = Task("aligned", 10)
    assert task.ceiling() == [0.25] * 5 + [1.0] * 5
    assert sum(task.ceiling()) / 10 == pytest.approx(0.625)
    assert task.whole_sequence_ceiling() == 1 / 1024


@pytest.mark.parametrize("length", [1, 5, 10, 20])
def test_delayed_ceiling_is_one_everywhere(length):
    task = Task("delayed", length)
    assert task.ceiling() == [1.0] * length
    assert task.whole_sequence_ceiling() == 1.0


def brute_force_ceiling(task: Task) -> list[float]:
    """Bayes ceiling from scratch: at output t the best guess given the tokens seen so far."""
    seqs = list(itertools.product(range(4), repeat=task.length))
    tokens = task.inputs(torch.tensor(seqs)).tolist()
    ceiling = []
    for t in range(task.length):
        seen_upto = task.output_step(t) + 1
        counts: dict[tuple, Counter] = defaultdict(Counter)
        for seq, tok in zip(seqs, tokens, strict=True):
            counts[tuple(tok[:seen_upto])][seq[task.length - 1 - t] ^ 1] += 1
        ceiling.append(sum(max(c.values()) for c in counts.values()) / len(seqs))
    return ceiling


@pytest.mark.parametrize("name", ["aligned", "delayed"])
@pytest.mark.parametrize("length", [1, 2, 3, 4, 5])
def test_ceiling_matches_brute_force(name, length):
    task = Task(name, length)
    assert task.ceiling() == brute_force_ceiling(task)
    assert task.whole_sequence_ceiling() == pytest.approx(0.25 ** task.ceiling().count(0.25))


@pytest.mark.parametrize("seed", [0, 1])
def test_any_aligned_model_scores_exactly_chance_on_unanswerable_positions(seed):
    """Exhaustively, an unanswerable output is right on exactly 1/4 of inputs, whatever the weights."""
    model = build_model(Config(task="aligned", length=5, hidden_size=8, seed=seed))
    result = evaluate(model, exhaustive=True)
    assert result.per_position_accuracy[:2] == [0.25, 0.25]
    assert result.ceiling == [0.25, 0.25, 1.0, 1.0, 1.0]


# --- random batches ---------------------------------------------------------------------------


def test_random_sequences_are_seeded():
    a = random_sequences(100, 7, torch.Generator().manual_seed(42))
    b = random_sequences(100, 7, torch.Generator().manual_seed(42))
    c = random_sequences(100, 7, torch.Generator().manual_seed(43))
    assert a.shape == (100, 7) and a.dtype == torch.long
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_random_sequences_continue_the_generator_stream():
    gen = torch.Generator().manual_seed(0)
    first, second = random_sequences(50, 5, gen), random_sequences(50, 5, gen)
    assert not torch.equal(first, second)


def test_random_sequences_are_uniform_over_bases():
    seqs = random_sequences(20_000, 5, torch.Generator().manual_seed(0))
    assert seqs.min() == 0 and seqs.max() == 3
    counts = torch.bincount(seqs.flatten(), minlength=4).double() / seqs.numel()
    # 100,000 draws: the standard error of each share is ~0.0014.
    assert torch.all((counts - 0.25).abs() < 0.01), counts


# --- exhaustive enumeration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "batch_size"),
    [(length, batch_size) for length in range(1, 7) for batch_size in (7, 65536)]
    + [(1, 1), (4, 1), (6, 4096)],
)
def test_all_sequences_covers_every_sequence_once(length, batch_size):
    batches = list(all_sequences(length, batch_size=batch_size))
    assert all(b.shape[0] <= batch_size and b.shape[1] == length for b in batches)
    assert len(batches) == math.ceil(4**length / batch_size)
    everything = torch.cat(batches)
    assert everything.shape == (4**length, length)
    assert len({tuple(row) for row in everything.tolist()}) == 4**length
    assert everything.min() == 0 and everything.max() == 3


def test_all_sequences_length_10_in_batches():
    sizes = [b.shape[0] for b in all_sequences(10)]
    assert sum(sizes) == 1_048_576
    assert max(sizes) == 65536


def test_enumeration_is_in_base_4_order():
    first = next(all_sequences(3, batch_size=6))
    assert [decode(row) for row in first] == ["AAA", "AAT", "AAG", "AAC", "ATA", "ATT"]
    assert torch.equal(sequences_from_indices(torch.tensor([4**5 - 1]), 5), encode_batch(["CCCCC"]))


def test_enumeration_refuses_huge_lengths():
    with pytest.raises(ValueError, match="refused"):
        next(all_sequences(MAX_EXHAUSTIVE_LENGTH + 1))
