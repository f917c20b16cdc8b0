"""The pretrained models shipped inside the package, and how they were made.

Each shipped model is a few-KB checkpoint in ``revcomp/models/`` with a
``<name>.metrics.json`` beside it: the exhaustive (or sampled) evaluation and
the exact ``revcomp train`` command that produced it. :func:`load_model`
accepts either a shipped model's name or a path to a checkpoint file.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from revcomp.checkpoint import load_checkpoint
from revcomp.model import RevCompLSTM

DEFAULT_MODEL = "delayed-L5-H8"
MODELS_DIR = Path(str(resources.files("revcomp") / "models"))


def shipped_models() -> list[str]:
    """Names of the shipped models, sorted."""
    return sorted(p.name.removesuffix(".safetensors") for p in MODELS_DIR.glob("*.safetensors"))


def shipped_path(name: str) -> Path:
    return MODELS_DIR / f"{name}.safetensors"


def shipped_metrics(name: str) -> dict:
    """The metrics file of a shipped model (evaluation and the command that made it)."""
    path = MODELS_DIR / f"{name}.metrics.json"
    return json.loads(path.read_text())


def resolve_model_path(name_or_path: str | None) -> Path:
    """Path of a shipped model by name, or the given checkpoint path."""
    name_or_path = name_or_path or DEFAULT_MODEL
    if name_or_path in shipped_models():
        return shipped_path(name_or_path)
    path = Path(name_or_path)
    if path.suffix == ".safetensors" or path.exists() or "/" in name_or_path:
        if not path.exists():
            raise FileNotFoundError(f"no such model file: {path}")
        return path
    raise ValueError(
        f"unknown model {name_or_path!r}: not a shipped model ({', '.join(shipped_models())}) nor a file"
    )


def load_model(name_or_path: str | None = None) -> RevCompLSTM:
    """Load a shipped model by name (default ``delayed-L5-H8``) or a checkpoint by path."""
    return load_checkpoint(resolve_model_path(name_or_path))
