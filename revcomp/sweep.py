r"""Sweeps over task x length x hidden size x seed, resumable, plus length generalization.

Three pieces live here:

* :func:`evaluate_at_length` runs a model at a length it was not built for. The
  ``delayed`` framing has input size 6 at every length (4 bases, GO, BLANK), and
  ``aligned`` has 4, so the same weights can read ``Task(name, L')`` inputs; for
  ``delayed`` the outputs are read at steps ``L'..2L'-1``.
* :func:`fit` is the training loop behind a sweep run. With the default
  :class:`Recipe` it is step for step the loop of :func:`revcomp.train.train`
  (bitwise-identical weights); a recipe adds a learning-rate schedule (cosine
  decay or reduce-on-plateau), a forget-gate bias at initialisation, a length
  curriculum (warm start at shorter lengths -- the weights carry over because the
  input size does not depend on the length), mixed-length training, a stricter
  stopping rule (a solved held-out set must be confirmed on many more inputs, all
  ``4**L`` of them if asked) and replay of the inputs that check got wrong.

  The recipe that reaches 100% of all 4**10 inputs at L = 10 with H = 24 (three
  seeds out of three; plain Adam leaves a few inputs wrong even at H = 32)::

      revcomp sweep --out runs.jsonl --lengths 10 --hidden 24 --seeds 0-2 --steps 15000 \
          --time-budget 180 --schedule cosine --forget-bias 1 --confirm-samples 1048576 \
          --confirm-every 2000 --replay 0.1 --save-dir models/
* :func:`run_sweep` runs a list of :class:`RunSpec` and appends one line per
  finished run to a JSON-lines (``.jsonl``) or CSV (``.csv``) file, written with
  a single ``write`` then flushed and fsynced. Re-running skips every run whose
  key is already in the file, so an interrupted sweep loses only the run in
  progress; a half-written last line (a crash mid-write) is dropped on resume.

``revcomp sweep`` is the command-line front end (registered through
:mod:`revcomp.cli`'s extension hooks). :func:`load_results` reads the committed
results in ``revcomp/results/`` into pandas DataFrames.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import io
import json
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

from revcomp import cli
from revcomp.evaluate import EvalResult, evaluate, evaluate_batches
from revcomp.model import Config, RevCompLSTM, build_model
from revcomp.tasks import MAX_EXHAUSTIVE_LENGTH, TASKS, Task, all_sequences, random_sequences
from revcomp.train import HELD_OUT_SEED_OFFSET, optimisation_step

SCHEDULES = ("constant", "cosine", "plateau")
RESULTS_DIR = Path(str(resources.files("revcomp") / "results"))
EVAL_SEED = 12345
"""Seed of the sampled final evaluations (the same as :func:`revcomp.evaluate`'s default)."""


# ---------------------------------------------------------------------------
# Running a model at another length
# ---------------------------------------------------------------------------


def at_length(model: RevCompLSTM, length: int) -> RevCompLSTM:
    """A view of ``model`` that reads sequences of ``length``: same modules, same weights.

    The returned model shares ``lstm`` and ``readout`` with ``model`` (training
    one trains the other); only its task differs. Building it does not touch
    the global random state.
    """
    if length == model.task.length:
        return model
    config = dataclasses.replace(model.config, length=length)  # validates the length
    with torch.random.fork_rng(devices=[]):
        view = RevCompLSTM(config)
    view.lstm = model.lstm
    view.readout = model.readout
    view.train(model.training)
    return view


def evaluate_at_length(
    model: RevCompLSTM,
    length: int,
    samples: int = 10_000,
    *,
    seed: int = EVAL_SEED,
    exhaustive: bool | None = None,
) -> EvalResult:
    """Accuracy of ``model`` on sequences of ``length``, whatever length it was trained at.

    For ``delayed`` the inputs are ``Task("delayed", length)``'s (bases, GO,
    BLANKs) and the outputs are read at steps ``length..2*length-1``. With
    ``exhaustive=None`` all ``4**length`` inputs are checked when that is no more
    than ``samples``, else ``samples`` random ones (seeded by ``seed``). At the
    model's own length this equals :func:`revcomp.evaluate` with the same
    arguments.
    """
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    if exhaustive is None:
        exhaustive = length <= MAX_EXHAUSTIVE_LENGTH and 4**length <= samples
    return evaluate(at_length(model, length), exhaustive=exhaustive, samples=samples, seed=seed)


# ---------------------------------------------------------------------------
# Training recipes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """How a sweep run trains, beyond :class:`~revcomp.model.Config`.

    The defaults reproduce :func:`revcomp.train.train` exactly.
    """

    schedule: str = "constant"
    """``constant``; ``cosine`` (decay to ``min_lr_factor * lr`` over ``max_steps``);
    ``plateau`` (multiply the rate by 0.3 when the training loss stalls for 10 evaluations)."""
    min_lr_factor: float = 0.01
    forget_bias: float | None = None
    """If set, the LSTM's forget-gate bias starts at this value (``bias_ih`` part; ``bias_hh`` part 0)."""
    warm_start: tuple[int, ...] = ()
    """Curriculum: train at each of these lengths first (until solved or ``warm_steps``), then the target."""
    warm_steps: int = 5_000
    train_lengths: tuple[int, int] | None = None
    """Mixed-length training: each batch has a length drawn uniformly from this inclusive range."""
    confirm_samples: int = 0
    """If > 0, a solved held-out set is not enough to stop: this many more fresh sequences (per stage,
    split over its lengths) must be solved too -- all ``4**L`` of them when that is no more (L <= 12).
    Checked at most every ``confirm_every`` steps (default ``10 * eval_every``)."""
    confirm_every: int = 0
    replay: float = 0.0
    """Share of each batch replaced by inputs that failed the last confirm check (hard-example replay)."""

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}: choose one of {', '.join(SCHEDULES)}")
        if not 0 < self.min_lr_factor <= 1:
            raise ValueError(f"min_lr_factor must be in (0, 1], got {self.min_lr_factor!r}")
        if any(not isinstance(n, int) or n < 1 for n in self.warm_start):
            raise ValueError(f"warm-start lengths must be positive integers, got {self.warm_start!r}")
        if self.warm_steps < 1:
            raise ValueError(f"warm_steps must be positive, got {self.warm_steps!r}")
        if not isinstance(self.confirm_samples, int) or self.confirm_samples < 0:
            raise ValueError(f"confirm_samples must be a non-negative integer, got {self.confirm_samples!r}")
        if not isinstance(self.confirm_every, int) or self.confirm_every < 0:
            raise ValueError(f"confirm_every must be a non-negative integer, got {self.confirm_every!r}")
        if not 0 <= self.replay < 1:
            raise ValueError(f"replay must be in [0, 1), got {self.replay!r}")
        if self.train_lengths is not None:
            lo, hi = self.train_lengths
            if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
                raise ValueError(
                    f"train_lengths must be (min, max) with 1 <= min <= max, got {self.train_lengths!r}"
                )

    @property
    def name(self) -> str:
        """A short label such as ``cosine+fb1+warm5``."""
        parts = [self.schedule]
        if self.forget_bias is not None:
            parts.append(f"fb{self.forget_bias:g}")
        if self.warm_start:
            parts.append("warm" + "-".join(map(str, self.warm_start)))
        if self.train_lengths is not None:
            parts.append(f"mix{self.train_lengths[0]}-{self.train_lengths[1]}")
        if self.confirm_samples:
            parts.append(f"confirm{self.confirm_samples // 1000}k")
        if self.replay:
            parts.append(f"replay{self.replay:g}")
        return "+".join(parts)


@dataclass
class FitResult:
    """A model trained by :func:`fit` and how the training went."""

    model: RevCompLSTM
    steps: int = 0
    """Optimizer steps over all stages."""
    seconds: float = 0.0
    reached_target: bool = False
    stopped: str = "steps"
    """Why the final stage ended: ``target``, ``time`` or ``steps``."""
    final_loss: float = float("nan")
    held_out_accuracy: float = 0.0
    stages: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)


def set_forget_bias(model: RevCompLSTM, value: float) -> None:
    """Set the forget-gate bias of ``model``'s LSTM to ``value`` (gates are ordered i, f, g, o)."""
    hidden = model.config.hidden_size
    with torch.no_grad():
        model.lstm.bias_ih_l0[hidden : 2 * hidden].fill_(value)
        model.lstm.bias_hh_l0[hidden : 2 * hidden].zero_()


def fit(
    config: Config,
    recipe: Recipe | None = None,
    *,
    time_budget_s: float | None = None,
    model: RevCompLSTM | None = None,
    progress: bool = False,
) -> FitResult:
    """Train a model for ``config`` following ``recipe``, within ``time_budget_s`` wall-clock seconds.

    Stages run in order: each warm-start length, then ``config.length`` (or the
    ``train_lengths`` range). A stage stops when its held-out set is solved to
    ``config.target_accuracy`` (every length of a mixed range), after its steps
    (``recipe.warm_steps`` for warm-start stages, ``config.max_steps`` for the
    last), or when the time budget is spent; a warm-start stage may use at most
    half of the remaining time. Each stage starts a fresh Adam optimizer and
    schedule on the same weights.
    """
    recipe = recipe or Recipe()
    if time_budget_s is not None and not time_budget_s > 0:
        raise ValueError(f"time_budget_s must be positive, got {time_budget_s!r}")
    if recipe.train_lengths is not None and recipe.train_lengths[1] != config.length:
        raise ValueError(
            f"mixed-length range {recipe.train_lengths} must end at the config's length {config.length}"
        )
    torch.set_num_threads(config.threads)
    if model is None:
        model = build_model(config)
        if recipe.forget_bias is not None:
            set_forget_bias(model, recipe.forget_bias)
    result = FitResult(model=model)
    start = time.perf_counter()
    deadline = None if time_budget_s is None else start + time_budget_s
    stages: list[tuple[tuple[int, ...], int]] = [((n,), recipe.warm_steps) for n in recipe.warm_start]
    final_lengths = (
        tuple(range(recipe.train_lengths[0], recipe.train_lengths[1] + 1))
        if recipe.train_lengths is not None
        else (config.length,)
    )
    stages.append((final_lengths, config.max_steps))
    bar = _bar(sum(s for _, s in stages), f"training {config.name}") if progress else None
    for index, (lengths, max_steps) in enumerate(stages):
        last = index == len(stages) - 1
        stage_deadline = deadline
        if deadline is not None and not last:
            now = time.perf_counter()
            stage_deadline = now + max(0.0, deadline - now) / 2
        stage = _train_stage(model, config, recipe, lengths, max_steps, stage_deadline, result, bar)
        result.stages.append(stage)
    if bar is not None:
        bar.close()
    final = result.stages[-1]
    result.stopped = final["stopped"]
    result.reached_target = final["stopped"] == "target"
    result.final_loss = final["final_loss"]
    result.held_out_accuracy = final["held_out_accuracy"]
    result.seconds = time.perf_counter() - start
    model.eval()
    return result


def _train_stage(
    model: RevCompLSTM,
    config: Config,
    recipe: Recipe,
    lengths: tuple[int, ...],
    max_steps: int,
    deadline: float | None,
    result: FitResult,
    bar,
) -> dict:
    views = {n: at_length(model, n) for n in lengths}
    batches = torch.Generator().manual_seed(config.seed)
    held_out_gen = torch.Generator().manual_seed(config.seed + HELD_OUT_SEED_OFFSET)
    per_length = max(1, config.eval_samples // len(lengths))
    held_out = {n: random_sequences(per_length, n, held_out_gen) for n in lengths}
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    scheduler = _scheduler(optimizer, recipe, max_steps)
    loss_fn = nn.CrossEntropyLoss()
    stage = {
        "lengths": list(lengths),
        "steps": 0,
        "stopped": "steps",
        "final_loss": float("nan"),
        "held_out_accuracy": 0.0,
    }
    running_loss, running_n = 0.0, 0
    model.train()
    step = 0
    next_confirm = 0
    stage["confirm_checks"] = 0
    failures: dict[int, torch.Tensor] = {}
    for step in range(1, max_steps + 1):
        if len(lengths) == 1:
            length = lengths[0]
        else:
            length = lengths[int(torch.randint(len(lengths), (1,), generator=batches))]
        view = views[length]
        seqs = random_sequences(config.batch_size, length, batches)
        hard = failures.get(length)
        if recipe.replay and hard is not None and len(hard):
            k = max(1, int(recipe.replay * config.batch_size))
            seqs[:k] = hard[torch.randint(len(hard), (k,), generator=batches)]
        # The view shares its modules with ``model``, so this steps ``model``'s parameters.
        running_loss += optimisation_step(view, seqs, optimizer, loss_fn, config.grad_clip)
        running_n += 1
        if recipe.schedule == "cosine":
            scheduler.step()
        out_of_time = deadline is not None and time.perf_counter() >= deadline
        if step % config.eval_every == 0 or step == max_steps or out_of_time:
            solved = min(
                evaluate_batches(views[n], [held_out[n]], exhaustive=False).answerable_whole_sequence_accuracy
                for n in lengths
            )
            mean_loss = running_loss / running_n
            if recipe.schedule == "plateau":
                scheduler.step(mean_loss)
            result.history.append(
                {
                    "stage": len(result.stages),
                    "step": result.steps + step,
                    "loss": mean_loss,
                    "solved": solved,
                    "lr": optimizer.param_groups[0]["lr"],
                }
            )
            stage.update(final_loss=mean_loss, held_out_accuracy=solved)
            running_loss, running_n = 0.0, 0
            if bar is not None:
                bar.set_postfix(L=length, loss=f"{mean_loss:.3f}", solved=f"{solved:.3f}")
                bar.update(result.steps + step - bar.n)
            if solved >= config.target_accuracy:
                if not recipe.confirm_samples:
                    stage["stopped"] = "target"
                    break
                if step >= next_confirm:
                    confirmed, failures = _confirm(views, recipe.confirm_samples, config.seed)
                    result.history[-1]["confirmed"] = confirmed
                    result.history[-1]["failures"] = sum(len(f) for f in failures.values())
                    stage["confirm_checks"] += 1
                    if confirmed >= config.target_accuracy:
                        stage["stopped"] = "target"
                        break
                    next_confirm = step + (recipe.confirm_every or 10 * config.eval_every)
            if out_of_time:
                stage["stopped"] = "time"
                break
    stage["steps"] = step
    result.steps += step
    model.eval()
    return stage


def _confirm(
    views: dict[int, RevCompLSTM], samples: int, seed: int, keep: int = 65536
) -> tuple[float, dict[int, torch.Tensor]]:
    """Worst share solved over the lengths of ``samples`` fresh sequences (split over the lengths), and
    up to ``keep`` failing sequences per length. All ``4**L`` sequences when that is no more."""
    gen = torch.Generator().manual_seed(seed + 2 * HELD_OUT_SEED_OFFSET)
    per_length = max(1, samples // len(views))
    worst, failures = 1.0, {}
    for n, view in views.items():
        if n <= MAX_EXHAUSTIVE_LENGTH and 4**n <= per_length:
            batches = all_sequences(n)
        else:
            sizes = [65536] * (per_length // 65536) + ([per_length % 65536] if per_length % 65536 else [])
            batches = (random_sequences(k, n, gen) for k in sizes)
        ok = view.task.answerable()
        solved, total, wrong = 0, 0, []
        with torch.no_grad():
            for seqs in batches:
                hits = (view.predict_codes(seqs) == view.task.targets(seqs))[:, ok].all(1)
                solved += int(hits.sum())
                total += len(seqs)
                if sum(len(w) for w in wrong) < keep:
                    wrong.append(seqs[~hits])
        worst = min(worst, solved / total)
        failures[n] = torch.cat(wrong)[:keep] if wrong else torch.empty(0, n, dtype=torch.long)
    return worst, failures


def _scheduler(optimizer: torch.optim.Optimizer, recipe: Recipe, max_steps: int):
    if recipe.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=max(1, max_steps), eta_min=recipe.min_lr_factor * optimizer.param_groups[0]["lr"]
        )
    if recipe.schedule == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            mode="min",
            factor=0.3,
            patience=10,
            min_lr=recipe.min_lr_factor * optimizer.param_groups[0]["lr"],
        )
    return None


# ---------------------------------------------------------------------------
# One run of a sweep
# ---------------------------------------------------------------------------


LATER_RECIPE_FIELDS = {"confirm_every": 0, "replay": 0.0}


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one sweep run; its :attr:`key` identifies it in a results file."""

    task: str = "delayed"
    length: int = 5
    hidden_size: int = 8
    seed: int = 0
    learning_rate: float = 3e-2
    batch_size: int = 256
    max_steps: int = 20_000
    time_budget_s: float = 60.0
    recipe: Recipe = Recipe()
    eval_lengths: tuple[int, ...] = ()
    """Extra lengths to evaluate the trained model at (length generalization)."""
    eval_samples: int = 100_000
    """Sampled final evaluation size; ``4**L`` inputs are checked instead when L <= ``exhaustive_max_length``
    and the sampled check is perfect (or ``4**L`` is no more than this)."""
    exhaustive_max_length: int = 10
    generalization_samples: int = 10_000

    def __post_init__(self) -> None:
        self.config()  # validates task, length, hidden size, ...
        if not self.time_budget_s > 0:
            raise ValueError(f"time budget must be positive, got {self.time_budget_s!r}")
        if any(not isinstance(n, int) or n < 1 for n in self.eval_lengths):
            raise ValueError(f"evaluation lengths must be positive integers, got {self.eval_lengths!r}")
        if self.eval_samples < 1 or self.generalization_samples < 1:
            raise ValueError("evaluation sample counts must be positive")

    def config(self) -> Config:
        return Config(
            task=self.task,
            length=self.length,
            hidden_size=self.hidden_size,
            seed=self.seed,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            max_steps=self.max_steps,
            threads=1,
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["recipe"] = dataclasses.asdict(self.recipe)
        return data

    @property
    def key(self) -> str:
        """A stable identifier: readable prefix plus a hash of every field.

        Recipe fields added after results were first committed (:data:`LATER_RECIPE_FIELDS`) are left
        out of the hash while at their defaults, so older keys stay valid.
        """
        data = self.to_dict()
        for name, default in LATER_RECIPE_FIELDS.items():
            if data["recipe"].get(name) == default:
                del data["recipe"][name]
        digest = hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.task}-L{self.length}-H{self.hidden_size}-s{self.seed}-{self.recipe.name}-{digest}"


def versions() -> dict[str, str]:
    import numpy

    from revcomp import __version__

    return {
        "revcomp": __version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def _final_evaluation(model: RevCompLSTM, spec: RunSpec) -> EvalResult:
    """Sampled check first; all ``4**L`` inputs only if the sample is perfect (or 4**L is small)."""
    length = model.task.length
    if length <= spec.exhaustive_max_length and 4**length <= spec.eval_samples:
        return evaluate(model, exhaustive=True)
    sampled = evaluate(model, samples=spec.eval_samples, seed=EVAL_SEED)
    if length <= spec.exhaustive_max_length and sampled.whole_sequence_accuracy == 1.0:
        return evaluate(model, exhaustive=True)
    return sampled


def solved(
    length: int, exhaustive: bool, whole_sequence_accuracy: float, exhaustive_max_length: int = 10
) -> bool:
    """The frontier criterion: 100% of all ``4**L`` inputs for L <= 10, >= 99.9% of a sample beyond."""
    if length <= exhaustive_max_length:
        return exhaustive and whole_sequence_accuracy == 1.0
    return whole_sequence_accuracy >= 0.999


def run_one(spec: RunSpec, *, command: str | None = None, progress: bool = False) -> tuple[dict, RevCompLSTM]:
    """Train and evaluate one run; return its results record and the model."""
    wall_start = time.perf_counter()
    fitted = fit(spec.config(), spec.recipe, time_budget_s=spec.time_budget_s, progress=progress)
    model = fitted.model
    ev = _final_evaluation(model, spec)
    answerable = model.task.answerable()
    per_pos = ev.per_position_accuracy
    general = []
    for n in spec.eval_lengths:
        g = evaluate_at_length(model, n, spec.generalization_samples)
        ok = Task(spec.task, n).answerable()
        general.append(
            {
                "length": n,
                "whole_sequence_accuracy": g.whole_sequence_accuracy,
                "answerable_whole_sequence_accuracy": g.answerable_whole_sequence_accuracy,
                "per_base_accuracy": _mean(
                    [a for a, o in zip(g.per_position_accuracy, ok, strict=True) if o]
                ),
                "inputs": g.inputs_checked,
                "exhaustive": g.exhaustive,
            }
        )
    recipe = spec.recipe
    record = {
        "key": spec.key,
        "task": spec.task,
        "length": spec.length,
        "hidden_size": spec.hidden_size,
        "seed": spec.seed,
        "recipe": recipe.name,
        "schedule": recipe.schedule,
        "forget_bias": recipe.forget_bias,
        "warm_start": "-".join(map(str, recipe.warm_start)),
        "train_lengths": "" if recipe.train_lengths is None else "{}-{}".format(*recipe.train_lengths),
        "learning_rate": spec.learning_rate,
        "batch_size": spec.batch_size,
        "max_steps": spec.max_steps,
        "time_budget_s": spec.time_budget_s,
        "threads": 1,
        "steps": fitted.steps,
        "train_seconds": round(fitted.seconds, 3),
        "wall_seconds": round(time.perf_counter() - wall_start, 3),
        "stopped": fitted.stopped,
        "reached_target": fitted.reached_target,
        "held_out_accuracy": fitted.held_out_accuracy,
        "final_loss": fitted.final_loss,
        "eval_exhaustive": ev.exhaustive,
        "eval_inputs": ev.inputs_checked,
        "whole_sequence_accuracy": ev.whole_sequence_accuracy,
        "answerable_whole_sequence_accuracy": ev.answerable_whole_sequence_accuracy,
        "per_base_accuracy": _mean([a for a, o in zip(per_pos, answerable, strict=True) if o]),
        "min_position_accuracy": min(a for a, o in zip(per_pos, answerable, strict=True) if o),
        "solved": solved(
            spec.length, ev.exhaustive, ev.answerable_whole_sequence_accuracy, spec.exhaustive_max_length
        ),
        "per_position_accuracy": per_pos,
        "generalization": general,
        "stages": fitted.stages,
        "spec": spec.to_dict(),
        "command": command,
        "versions": versions(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return record, model


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


# ---------------------------------------------------------------------------
# Results files: append-only, one line per finished run
# ---------------------------------------------------------------------------

JSON_FIELDS = ("per_position_accuracy", "generalization", "stages", "spec", "versions")
"""Record fields holding lists or dicts (JSON-encoded in CSV cells)."""
CSV_FIELDS = (
    "key",
    "task",
    "length",
    "hidden_size",
    "seed",
    "recipe",
    "schedule",
    "forget_bias",
    "warm_start",
    "train_lengths",
    "learning_rate",
    "batch_size",
    "max_steps",
    "time_budget_s",
    "threads",
    "steps",
    "train_seconds",
    "wall_seconds",
    "stopped",
    "reached_target",
    "held_out_accuracy",
    "final_loss",
    "eval_exhaustive",
    "eval_inputs",
    "whole_sequence_accuracy",
    "answerable_whole_sequence_accuracy",
    "per_base_accuracy",
    "min_position_accuracy",
    "solved",
    *JSON_FIELDS,
    "command",
    "finished_at",
)


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def _csv_line(record: dict) -> str:
    buffer = io.StringIO()
    row = {k: (json.dumps(record.get(k)) if k in JSON_FIELDS else record.get(k)) for k in CSV_FIELDS}
    csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def _csv_header() -> str:
    return ",".join(CSV_FIELDS) + "\n"


def _parse_csv_row(row: dict[str, str]) -> dict:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k in JSON_FIELDS:
            out[k] = json.loads(v) if v else None
        elif v in ("True", "False"):
            out[k] = v == "True"
        elif v == "":
            out[k] = None if k == "forget_bias" else ""
        else:
            try:
                out[k] = int(v)
            except ValueError:
                try:
                    out[k] = float(v)
                except ValueError:
                    out[k] = v
    return out


def read_results(path: str | os.PathLike) -> list[dict]:
    """Records of a results file (``.jsonl`` or ``.csv``); a half-written last line is ignored."""
    path = Path(path)
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
    if _is_csv(path):
        reader = csv.DictReader(io.StringIO(complete))
        if reader.fieldnames is not None and tuple(reader.fieldnames) != CSV_FIELDS:
            raise ValueError(f"{path}: not a revcomp sweep CSV (its columns differ)")
        return [_parse_csv_row(row) for row in reader]
    records = []
    for number, line in enumerate(complete.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            raise ValueError(
                f"{path}:{number}: not a JSON line; is this a revcomp sweep results file?"
            ) from None
    return records


def _repair_tail(path: Path) -> None:
    """Drop a half-written last line (a run interrupted while its line was written)."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        keep = data.rfind(b"\n") + 1
        with open(path, "r+b") as handle:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())


def append_record(path: str | os.PathLike, record: dict) -> None:
    """Append one record as one line, in a single write, flushed and fsynced."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _repair_tail(path)
    if _is_csv(path):
        line = _csv_line(record)
        if not path.exists() or path.stat().st_size == 0:
            line = _csv_header() + line
    else:
        line = json.dumps(record, sort_keys=True, allow_nan=True) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


# ---------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------


def grid(
    *,
    tasks: Iterable[str] = ("delayed",),
    lengths: Iterable[int] = (5,),
    hidden_sizes: Iterable[int] = (8,),
    seeds: Iterable[int] = (0,),
    **common: Any,
) -> list[RunSpec]:
    """The runs of a task x length x hidden size x seed grid (other :class:`RunSpec` fields in ``common``)."""
    return [
        RunSpec(task=t, length=n, hidden_size=h, seed=s, **common)
        for t in tasks
        for n in lengths
        for h in hidden_sizes
        for s in seeds
    ]


def run_sweep(
    specs: Sequence[RunSpec],
    out: str | os.PathLike,
    *,
    command: str | None = None,
    progress: bool = True,
    on_record: Callable[[dict], None] | None = None,
    save_dir: str | os.PathLike | None = None,
) -> list[dict]:
    """Run every spec not yet in ``out``, appending one line per finished run; return the sweep's records.

    Finished runs (matched by :attr:`RunSpec.key`) are skipped, so a sweep can be
    interrupted and re-run. Progress goes to stderr. With ``save_dir`` each trained
    model is also saved there as ``<key>.safetensors`` (before its line is appended).
    """
    out = Path(out)
    if out.suffix.lower() not in (".jsonl", ".csv"):
        raise ValueError(f"results file must end in .jsonl or .csv, got {out.name!r}")
    if out.is_dir():
        raise ValueError(f"{out} is a directory, not a results file")
    keys = [s.key for s in specs]
    if len(set(keys)) != len(keys):
        raise ValueError("the sweep lists the same run twice")
    done = {r.get("key"): r for r in read_results(out)}
    todo = [s for s in specs if s.key not in done]
    bar = _bar(len(specs), "sweep", unit="run", initial=len(specs) - len(todo)) if progress else None
    for spec in todo:
        if bar is not None:
            bar.set_description(f"sweep {spec.task}-L{spec.length}-H{spec.hidden_size}-s{spec.seed}")
        record, model = run_one(spec, command=command)
        if save_dir is not None:
            from revcomp.checkpoint import save_checkpoint

            save_checkpoint(model, Path(save_dir) / f"{spec.key}.safetensors", extra={"sweep_key": spec.key})
        append_record(out, record)
        record = json.loads(json.dumps(record))  # as it reads back: tuples become lists
        done[spec.key] = record
        if on_record is not None:
            on_record(record)
        if bar is not None:
            bar.set_postfix(acc=f"{record['whole_sequence_accuracy']:.4f}", steps=record["steps"])
            bar.update(1)
    if bar is not None:
        bar.close()
    return [done[k] for k in keys]


def _bar(total: int, desc: str, unit: str = "step", initial: int = 0):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, initial=initial, file=sys.stderr, leave=False)


# ---------------------------------------------------------------------------
# Committed results
# ---------------------------------------------------------------------------


def load_results(name: str = "capacity", directory: str | os.PathLike | None = None):
    """A committed results file (``capacity``, ``generalization``, ...) as a pandas DataFrame.

    ``generalization`` (and any file whose runs evaluated extra lengths) also
    gets one row per (run, evaluated length) via :func:`generalization_table`.
    """
    import pandas as pd

    directory = Path(directory) if directory is not None else RESULTS_DIR
    for suffix in (".jsonl", ".csv"):
        path = directory / f"{name}{suffix}"
        if path.exists():
            return pd.DataFrame(read_results(path))
    raise FileNotFoundError(f"no results named {name!r} in {directory}")


def generalization_table(results) -> Any:
    """One row per (run, evaluated length) of a results DataFrame with a ``generalization`` column.

    Columns: key, regime (:func:`regime_label`), max_train_length, hidden_size, seed,
    test_length, whole_sequence_accuracy, per_base_accuracy.
    """
    import pandas as pd

    rows = []
    for record in results.to_dict("records"):
        lengths = record.get("train_lengths") or ""
        longest = int(lengths.split("-")[1]) if lengths else int(record["length"])
        for g in record.get("generalization") or []:
            rows.append(
                {
                    "key": record["key"],
                    "regime": regime_label(record),
                    "max_train_length": longest,
                    "hidden_size": record["hidden_size"],
                    "seed": record["seed"],
                    "test_length": g["length"],
                    "whole_sequence_accuracy": g["whole_sequence_accuracy"],
                    "per_base_accuracy": g["per_base_accuracy"],
                }
            )
    return pd.DataFrame(rows)


def regime_label(record: dict) -> str:
    """How a run was trained, for chart legends: ``L=10, H=16, cosine+fb1`` or ``L=1-10 mixed, ...``."""
    lengths = record.get("train_lengths") or ""
    where = f"L={lengths} mixed" if lengths else f"L={record['length']}"
    parts = [p for p in record["recipe"].split("+") if not p.startswith("mix")]
    if parts and parts[0] == "constant":
        parts[0] = "plain"
    return f"{where}, H={record['hidden_size']}, {'+'.join(parts) or 'plain'}"


def capacity_table(runs) -> Any:
    """One row per run with the columns :func:`revcomp.charts.capacity_chart` needs."""
    table = runs[
        [
            "length",
            "hidden_size",
            "seed",
            "recipe",
            "whole_sequence_accuracy",
            "solved",
            "steps",
            "train_seconds",
            "eval_exhaustive",
            "eval_inputs",
        ]
    ].copy()
    table["recipe"] = table["recipe"].replace({"constant": "plain"})
    table["checked"] = [
        f"{'all' if ex else 'sampled'} {n:,}"
        for ex, n in zip(table["eval_exhaustive"], table["eval_inputs"], strict=True)
    ]
    table["solved"] = table["solved"].astype(bool)
    return table.drop(columns=["eval_exhaustive", "eval_inputs"])


def inputs_wrong(runs) -> Any:
    """Per run (a Series aligned with ``runs``): inputs not entirely right in its final check."""
    right = (runs["whole_sequence_accuracy"] * runs["eval_inputs"]).round()
    return (runs["eval_inputs"] - right).astype(int)


def configuration_table(runs) -> Any:
    """One row per (length, recipe, hidden size) of a results DataFrame: how many seeds solved it.

    Columns: L, recipe (``constant`` shown as ``plain``), H, ``seeds solved`` (``"2 / 3"``),
    ``inputs wrong, per seed`` (comma-separated, in seed order), ``checked`` (most inputs any
    seed's final check saw), ``median steps`` and ``median s`` (training seconds).
    """
    table = runs.assign(recipe=runs["recipe"].replace({"constant": "plain"}), wrong=inputs_wrong(runs))
    table = table.sort_values("seed").groupby(["length", "recipe", "hidden_size"])
    out = table.agg(
        seeds=("seed", "nunique"),
        solved=("solved", "sum"),
        wrong=("wrong", lambda w: ", ".join(f"{int(v):,}" for v in w)),
        checked=("eval_inputs", "max"),
        steps=("steps", "median"),
        seconds=("train_seconds", "median"),
    ).reset_index()
    out["seeds solved"] = [f"{int(n)} / {s}" for n, s in zip(out["solved"], out["seeds"], strict=True)]
    out = out.rename(
        columns={
            "length": "L",
            "hidden_size": "H",
            "wrong": "inputs wrong, per seed",
            "steps": "median steps",
            "seconds": "median s",
        }
    )
    columns = [
        "L",
        "recipe",
        "H",
        "seeds solved",
        "inputs wrong, per seed",
        "checked",
        "median steps",
        "median s",
    ]
    return out[columns]


def failing_configurations(runs) -> Any:
    """The (length, recipe, hidden size) configurations where at least one seed did not solve the task.

    Columns: L, recipe (``constant`` shown as ``plain``), H, ``seeds failing``, ``seeds``, ``worst seed:
    inputs wrong`` and ``checked`` (most inputs a failing seed's final check saw).
    """
    runs = runs.assign(recipe=runs["recipe"].replace({"constant": "plain"}), wrong=inputs_wrong(runs))
    keys = ["length", "recipe", "hidden_size"]
    seeds = runs.groupby(keys)["seed"].nunique().rename("seeds")
    failed = runs[~runs["solved"].astype(bool)].groupby(keys)
    table = failed.agg(failing=("seed", "nunique"), worst=("wrong", "max"), checked=("eval_inputs", "max"))
    table = table.join(seeds).reset_index()
    names = {
        "length": "L",
        "hidden_size": "H",
        "failing": "seeds failing",
        "worst": "worst seed: inputs wrong",
    }
    return table.rename(columns=names)[
        ["L", "recipe", "H", "seeds failing", "seeds", *list(names.values())[3:], "checked"]
    ]


def generalization_summary(runs) -> Any:
    """Mean, worst and best seed's whole-sequence accuracy per (training regime, test length).

    Columns: regime, test_length, mean, lo, hi, seeds, per_base (mean), max_train_length.
    """
    long = generalization_table(runs)
    if long.empty:
        return long
    return long.groupby(["regime", "test_length"], as_index=False).agg(
        mean=("whole_sequence_accuracy", "mean"),
        lo=("whole_sequence_accuracy", "min"),
        hi=("whole_sequence_accuracy", "max"),
        seeds=("seed", "nunique"),
        per_base=("per_base_accuracy", "mean"),
        max_train_length=("max_train_length", "first"),
    )


def load_frontier(directory: str | os.PathLike | None = None) -> dict:
    """The committed frontier summary (``frontier.json``)."""
    directory = Path(directory) if directory is not None else RESULTS_DIR
    return json.loads((directory / "frontier.json").read_text())


def frontier(results, criterion_seeds: int = 3) -> list[dict]:
    """Smallest hidden size per (task, length, recipe) at which every seed (>= ``criterion_seeds``) solved."""
    rows = []
    for (task, length, recipe), group in results.groupby(["task", "length", "recipe"]):
        by_h = {}
        for h, g in group.groupby("hidden_size"):
            by_h[int(h)] = {
                "seeds": sorted(int(s) for s in g["seed"]),
                "solved_seeds": sorted(int(s) for s in g.loc[g["solved"].astype(bool), "seed"]),
            }
        passing = [
            h
            for h, v in by_h.items()
            if len(v["seeds"]) >= criterion_seeds and len(v["solved_seeds"]) == len(v["seeds"])
        ]
        rows.append(
            {
                "task": task,
                "length": int(length),
                "recipe": recipe,
                "min_hidden_all_seeds": min(passing) if passing else None,
                "min_hidden_any_seed": min((h for h, v in by_h.items() if v["solved_seeds"]), default=None),
                "hidden_sizes": by_h,
            }
        )
    return rows


BASELINE_FRONTIER = {5: 8, 10: 32, 20: None}
"""Smallest H reaching >= 99% whole-sequence within 60 s with plain Adam (lr 3e-2), from the project's
measured facts; ``None``: nothing up to H=32."""
CRITERION = "100% of all 4**L inputs for L <= 10; >= 99.9% of 100,000 sampled inputs for L > 10"


def frontier_summary(runs) -> dict:
    """The capacity frontier of a results DataFrame, as written to ``frontier.json``."""
    rows = frontier(runs)
    best: dict[str, dict] = {}
    for row in rows:
        h = row["min_hidden_all_seeds"]
        current = best.get(str(row["length"]))
        if h is not None and (
            current is None or current["min_hidden_all_seeds"] is None or h < current["min_hidden_all_seeds"]
        ):
            best[str(row["length"])] = {"min_hidden_all_seeds": h, "recipe": row["recipe"]}
        elif current is None:
            best[str(row["length"])] = {"min_hidden_all_seeds": None, "recipe": None}
    return {
        "criterion": CRITERION,
        "seeds_required": 3,
        "task": "delayed",
        "runs": int(len(runs)),
        "best": best,
        "baseline_plain_adam_60s": {str(k): v for k, v in BASELINE_FRONTIER.items()},
        "rows": rows,
    }


def write_frontier(directory: str | os.PathLike | None = None) -> Path:
    """Recompute ``frontier.json`` from ``capacity.jsonl`` in ``directory`` (default: package results)."""
    from revcomp.checkpoint import atomic_write_text

    directory = Path(directory) if directory is not None else RESULTS_DIR
    summary = frontier_summary(load_results("capacity", directory))
    path = directory / "frontier.json"
    atomic_write_text(path, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return path


# ---------------------------------------------------------------------------
# The `revcomp sweep` subcommand
# ---------------------------------------------------------------------------


def _int_list(text: str) -> list[int]:
    """``"5,10"`` or ``"4-8"`` or ``"4-8,12"`` -> a list of ints."""
    values: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                lo, hi = part.split("-", 1) if not part.startswith("-") else (part, "")
                values.extend(range(int(lo), int(hi) + 1))
            else:
                values.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"empty list: {text!r}")
    return values


def _range(text: str) -> tuple[int, int]:
    values = _int_list(text)
    return (min(values), max(values))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``revcomp sweep``."""
    parser.add_argument(
        "--out", required=True, help="results file, .jsonl or .csv (appended to; re-runs skip finished runs)"
    )
    parser.add_argument(
        "--tasks", type=lambda s: s.split(","), default=["delayed"], help="e.g. delayed or aligned,delayed"
    )
    parser.add_argument("--lengths", type=_int_list, default=[5], help="e.g. 5,10,20 or 4-8")
    parser.add_argument("--hidden", type=_int_list, default=[8], help="hidden sizes, e.g. 4,8,16")
    parser.add_argument("--seeds", type=_int_list, default=[0, 1, 2], help="e.g. 0-2")
    parser.add_argument(
        "--time-budget", type=float, default=60.0, help="wall-clock seconds of training per run"
    )
    parser.add_argument("--steps", type=int, default=20_000, help="maximum training steps per run")
    parser.add_argument("--lr", type=float, default=Config.learning_rate)
    parser.add_argument("--batch-size", type=int, default=Config.batch_size)
    parser.add_argument("--schedule", choices=SCHEDULES, default="constant", help="learning-rate schedule")
    parser.add_argument(
        "--min-lr-factor", type=float, default=0.01, help="final lr / initial lr (cosine, plateau)"
    )
    parser.add_argument(
        "--forget-bias", type=float, default=None, help="initial forget-gate bias (default: torch's)"
    )
    parser.add_argument(
        "--warm-start", type=_int_list, default=[], help="curriculum lengths trained first, e.g. 5"
    )
    parser.add_argument("--warm-steps", type=int, default=5_000, help="maximum steps per warm-start length")
    parser.add_argument(
        "--train-lengths",
        type=_range,
        default=None,
        help="mixed-length training range ending at each --lengths value, e.g. 4-10",
    )
    parser.add_argument(
        "--confirm-samples",
        type=int,
        default=0,
        help="before stopping at the target, also solve this many fresh sequences (0: off)",
    )
    parser.add_argument(
        "--confirm-every", type=int, default=0, help="steps between confirm checks (default 10 x 50)"
    )
    parser.add_argument(
        "--replay",
        type=float,
        default=0.0,
        help="share of each batch drawn from inputs the last check failed",
    )
    parser.add_argument(
        "--eval-lengths", type=_int_list, default=[], help="also evaluate at these lengths, e.g. 2-20"
    )
    parser.add_argument("--eval-samples", type=int, default=100_000, help="sampled final evaluation size")
    parser.add_argument("--save-dir", default=None, help="also save each trained model here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def specs_from_args(args: argparse.Namespace) -> list[RunSpec]:
    for task in args.tasks:
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}: choose one of {', '.join(TASKS)}")
    specs = []
    for length in args.lengths:
        train_lengths = None
        if args.train_lengths is not None:
            if args.train_lengths[1] > length:
                raise ValueError(f"--train-lengths {args.train_lengths} goes beyond --lengths {length}")
            train_lengths = (args.train_lengths[0], length)
        recipe = Recipe(
            schedule=args.schedule,
            min_lr_factor=args.min_lr_factor,
            forget_bias=args.forget_bias,
            warm_start=tuple(args.warm_start),
            warm_steps=args.warm_steps,
            train_lengths=train_lengths,
            confirm_samples=args.confirm_samples,
            confirm_every=args.confirm_every,
            replay=args.replay,
        )
        specs += grid(
            tasks=args.tasks,
            lengths=[length],
            hidden_sizes=args.hidden,
            seeds=args.seeds,
            learning_rate=args.lr,
            batch_size=args.batch_size,
            max_steps=args.steps,
            time_budget_s=args.time_budget,
            recipe=recipe,
            eval_lengths=tuple(args.eval_lengths),
            eval_samples=args.eval_samples,
        )
    return specs


def cmd_sweep(args: argparse.Namespace) -> int:
    specs = specs_from_args(args)
    command = "revcomp " + " ".join(shlex.quote(a) for a in getattr(args, "argv", []))
    before = {r.get("key") for r in read_results(args.out)}
    records = run_sweep(specs, args.out, command=command, progress=not args.quiet, save_dir=args.save_dir)
    ran = sum(1 for s in specs if s.key not in before)
    solved_count = sum(bool(r["solved"]) for r in records)
    print(
        f"sweep: {len(records)} runs ({ran} run now, {len(records) - ran} already in {args.out}); "
        f"{solved_count} solved",
        file=sys.stderr,
    )
    for r in records:
        kind = "all" if r["eval_exhaustive"] else "sampled"
        wrong = r["eval_inputs"] - round(r["answerable_whole_sequence_accuracy"] * r["eval_inputs"])
        print(
            f"{r['task']}-L{r['length']}-H{r['hidden_size']} seed {r['seed']} {r['recipe']}: "
            f"{r['steps']} steps {r['train_seconds']:.1f} s, "
            f"{wrong:,} of {r['eval_inputs']:,} {kind} inputs wrong{' -- SOLVED' if r['solved'] else ''}"
        )
    return 0


cli.COMMANDS["sweep"] = cmd_sweep
cli.EXTRA_COMMANDS["sweep"] = add_arguments
cli.EXTRA_HELP["sweep"] = (
    "train a grid of task x length x hidden size x seed (resumable) and record the results"
)

__all__ = [
    "Recipe",
    "RunSpec",
    "FitResult",
    "at_length",
    "evaluate_at_length",
    "fit",
    "run_one",
    "run_sweep",
    "grid",
    "read_results",
    "append_record",
    "load_results",
    "load_frontier",
    "generalization_table",
    "frontier",
    "set_forget_bias",
    "solved",
]
