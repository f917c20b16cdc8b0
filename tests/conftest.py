"""Shared fixtures: one thread, a quickly trained tiny model, and ways to run the CLI."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from revcomp import Config, save_checkpoint, train
from revcomp.cli import main

# The machine is shared: train and evaluate on one thread (also what the shipped models recorded).
torch.set_num_threads(1)

TINY_CONFIG = Config(task="delayed", length=3, hidden_size=8, seed=0, max_steps=3000)
"""Small enough to train in about a second and to check exhaustively (64 inputs)."""


@pytest.fixture(scope="session")
def tiny_result():
    """A delayed L=3 H=8 model trained to the target (session-scoped: trained once)."""
    result = train(TINY_CONFIG)
    assert result.reached_target, f"tiny model did not train: {result.final}"
    return result


@pytest.fixture(scope="session")
def tiny_model(tiny_result):
    return tiny_result.model


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_model, tmp_path_factory) -> Path:
    """The tiny model saved as a checkpoint file (do not modify: copy it first)."""
    return save_checkpoint(tiny_model, tmp_path_factory.mktemp("tiny") / "tiny.safetensors")


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys):
    """Run ``revcomp.cli.main(argv)`` in-process and capture its exit code and output."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def run_subprocess(*argv: str, cwd: str | Path | None = None) -> Run:
    """Run ``python -m revcomp.cli ARGV`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-m", "revcomp.cli", *map(str, argv)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=300,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli_subprocess():
    return run_subprocess
