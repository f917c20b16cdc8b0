"""Training: Adam on a fresh random batch every step, until a held-out set is solved.

Every step draws a new batch of uniformly random sequences, so there is no
training set to overfit. Every ``eval_every`` steps a fixed held-out set (drawn
from a separate seeded generator) is scored; training stops once the share of
held-out sequences that are right at every *answerable* position reaches
``config.target_accuracy``. For ``aligned`` the unanswerable positions are
excluded from that check: nothing can be learnt there.

Determinism: the model's initial weights come from ``torch.manual_seed(seed)``,
batches from a ``torch.Generator`` seeded with ``seed``, and the thread count is
fixed to ``config.threads``. The same config gives bitwise-identical weights on
the same CPU.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from revcomp.evaluate import evaluate_batches
from revcomp.model import Config, RevCompLSTM, build_model
from revcomp.tasks import random_sequences

HELD_OUT_SEED_OFFSET = 1_000_003


@dataclass
class TrainResult:
    """A trained model, its learning curve and what it cost."""

    model: RevCompLSTM
    history: list[dict] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    reached_target: bool = False

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


def train(
    config: Config,
    *,
    steps: int | None = None,
    progress: bool = False,
    model: RevCompLSTM | None = None,
    device: str | torch.device = "cpu",
    time_budget_s: float | None = None,
) -> TrainResult:
    """Train a model for ``config`` and return it with its history.

    ``steps`` overrides ``config.max_steps``. ``progress`` shows a progress bar
    on stderr. Pass ``model`` to continue training an existing model (for
    example one trained on a shorter length). ``device="cuda"`` trains on a GPU.
    ``time_budget_s`` stops training after that many wall-clock seconds (checked
    after every step; the held-out set is scored once more at the stopping step).
    """
    if time_budget_s is not None and not time_budget_s > 0:
        raise ValueError(f"time_budget_s must be positive, got {time_budget_s!r}")
    torch.set_num_threads(config.threads)
    max_steps = config.max_steps if steps is None else steps
    if model is None:
        model = build_model(config)
    model.to(device)
    task = model.task
    batches = torch.Generator().manual_seed(config.seed)
    held_out = random_sequences(
        config.eval_samples, task.length, torch.Generator().manual_seed(config.seed + HELD_OUT_SEED_OFFSET)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss_fn = nn.CrossEntropyLoss()

    bar = _progress_bar(max_steps, config.name) if progress else None
    result = TrainResult(model=model)
    start = time.perf_counter()
    running_loss, running_n = 0.0, 0
    model.train()
    for step in range(1, max_steps + 1):
        seqs = random_sequences(config.batch_size, task.length, batches).to(device)
        running_loss += optimisation_step(model, seqs, optimizer, loss_fn, config.grad_clip)
        running_n += 1
        out_of_time = time_budget_s is not None and time.perf_counter() - start >= time_budget_s
        if step % config.eval_every == 0 or step == max_steps or out_of_time:
            scores = evaluate_batches(model, held_out.split(65536), exhaustive=False)
            record = {
                "step": step,
                "seconds": time.perf_counter() - start,
                "loss": running_loss / running_n,
                "per_position_accuracy": scores.per_position_accuracy,
                "whole_sequence_accuracy": scores.whole_sequence_accuracy,
                "answerable_whole_sequence_accuracy": scores.answerable_whole_sequence_accuracy,
            }
            result.history.append(record)
            running_loss, running_n = 0.0, 0
            if bar is not None:
                solved = scores.answerable_whole_sequence_accuracy
                bar.set_postfix(loss=f"{record['loss']:.3f}", solved=f"{solved:.3f}")
                bar.update(step - bar.n)
            if scores.answerable_whole_sequence_accuracy >= config.target_accuracy:
                result.reached_target = True
                break
            if out_of_time:
                break
    result.steps = step if max_steps > 0 else 0
    result.seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    model.eval()
    return result


def optimisation_step(
    model: RevCompLSTM,
    seqs: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    grad_clip: float,
) -> float:
    """One Adam step on a batch of base codes: cross-entropy at the output steps, clipped gradients.

    Returns the batch loss. Shared by :func:`train` and the sweep trainer so the two stay identical.
    """
    logits = model.output_logits(seqs)
    loss = loss_fn(logits.reshape(-1, 4), model.task.targets(seqs).reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.item()


def _progress_bar(total: int, name: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"training {name}", unit="step", file=sys.stderr, leave=False)


def history_frame(result: TrainResult, label: str | None = None):
    """The learning curve as a tidy ``pandas.DataFrame``: one row per evaluation.

    Columns: model, step, seconds, loss, solved (held-out share right at every
    answerable position), whole_sequence_accuracy.
    """
    import pandas as pd

    label = label or result.model.config.name
    return pd.DataFrame(
        [
            {
                "model": label,
                "step": r["step"],
                "seconds": r["seconds"],
                "loss": r["loss"],
                "solved": r["answerable_whole_sequence_accuracy"],
                "whole_sequence_accuracy": r["whole_sequence_accuracy"],
            }
            for r in result.history
        ]
    )
