"""The model: one-hot input -> a 1-layer ``nn.LSTM`` -> ``nn.Linear(H, 4)``.

That is the whole network. It is deliberately tiny (hidden size 8 by default)
so every unit can be looked at. A :class:`Config` records everything needed to
rebuild the model and to reproduce its training; it travels with the weights in
every checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from revcomp.dna import decode_batch, encode_batch
from revcomp.tasks import Task


@dataclass(frozen=True)
class Config:
    """Task, architecture and training settings of one model."""

    task: str = "delayed"
    length: int = 5
    hidden_size: int = 8
    seed: int = 0
    learning_rate: float = 3e-2
    batch_size: int = 256
    max_steps: int = 20_000
    grad_clip: float = 1.0
    eval_every: int = 50
    eval_samples: int = 4096
    target_accuracy: float = 1.0
    """Stop when this share of held-out sequences is right at every answerable position."""
    threads: int = 1
    """Torch CPU threads used for training (recorded: results can depend on it)."""

    def __post_init__(self) -> None:
        self.to_task()  # validates task name and length
        for name in (
            "seed",
            "hidden_size",
            "batch_size",
            "max_steps",
            "eval_every",
            "eval_samples",
            "threads",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"invalid config: {name}={value!r} is not an integer")
        checks = {
            "hidden_size": self.hidden_size >= 1,
            "batch_size": self.batch_size >= 1,
            "max_steps": self.max_steps >= 0,
            "eval_every": self.eval_every >= 1,
            "eval_samples": self.eval_samples >= 1,
            "threads": self.threads >= 1,
            "learning_rate": self.learning_rate > 0,
            "grad_clip": self.grad_clip > 0,
            "target_accuracy": 0 < self.target_accuracy <= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"invalid config: {name}={getattr(self, name)!r}")

    def to_task(self) -> Task:
        return Task(self.task, self.length)

    @property
    def name(self) -> str:
        """Short name such as ``delayed-L5-H8``."""
        return f"{self.task}-L{self.length}-H{self.hidden_size}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        return cls(**data)


class RevCompLSTM(nn.Module):
    """One-hot tokens -> ``nn.LSTM(input_size, H)`` -> ``nn.Linear(H, 4)`` logits at every step."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        self.config = config
        self.task = config.to_task()
        self.lstm = nn.LSTM(self.task.input_size, config.hidden_size, num_layers=1, batch_first=True)
        self.readout = nn.Linear(config.hidden_size, 4)

    @property
    def device(self) -> torch.device:
        return self.readout.weight.device

    def one_hot(self, tokens: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(tokens, self.task.input_size).float()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, n_steps, 4)`` for input tokens ``(batch, n_steps)``."""
        hidden, _ = self.lstm(self.one_hot(tokens))
        return self.readout(hidden)

    def output_logits(self, seqs: torch.Tensor) -> torch.Tensor:
        """Logits ``(batch, L, 4)`` at the output steps, for base codes ``(batch, L)``."""
        logits = self(self.task.inputs(seqs.to(self.device)))
        start = self.task.first_output_step
        return logits[:, start : start + self.task.length]

    @torch.no_grad()
    def predict_codes(self, seqs: torch.Tensor) -> torch.Tensor:
        """Predicted reverse-complement codes ``(batch, L)``."""
        return self.output_logits(seqs).argmax(-1).cpu()

    def predict(self, seqs: list[str] | str) -> list[str] | str:
        """Predicted reverse complements of DNA strings of the model's length.

        >>> model.predict("ATGCA")  # doctest: +SKIP
        'TGCAT'
        """
        single = isinstance(seqs, str)
        batch = [seqs] if single else list(seqs)
        codes = encode_batch(batch)
        if codes.shape[1] != self.task.length:
            raise ValueError(
                f"sequence length {codes.shape[1]} does not match the model's length "
                f"{self.task.length} ({self.config.name})"
            )
        self.eval()
        out = decode_batch(self.predict_codes(codes))
        return out[0] if single else out


def build_model(config: Config) -> RevCompLSTM:
    """A freshly initialised model, seeded by ``config.seed`` (deterministic)."""
    torch.manual_seed(config.seed)
    return RevCompLSTM(config)
