"""Checkpoints that never unpickle: safetensors weights with the config in the header.

A checkpoint is one ``.safetensors`` file. Its metadata holds the model's
:class:`~revcomp.model.Config` as JSON under ``revcomp_config`` and a format
version. safetensors stores raw tensors behind a JSON header, so loading one can
not run code. Files written by ``torch.save`` (zip or pickle) are recognised by
their first bytes and refused before anything reads them.

Saving is atomic: the file is written to a temporary name in the same folder,
flushed, then renamed over the target, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from revcomp.model import Config, RevCompLSTM

FORMAT = "revcomp-checkpoint"
FORMAT_VERSION = "1"


class CheckpointError(ValueError):
    """A file that is not a valid revcomp checkpoint (corrupt, truncated, wrong kind)."""


def save_checkpoint(model: RevCompLSTM, path: str | os.PathLike, extra: dict | None = None) -> Path:
    """Write ``model`` and its config to ``path`` atomically and return the path."""
    path = Path(path)
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION, "revcomp_config": model.config.to_json()}
    if extra:
        metadata["extra"] = json.dumps(extra, sort_keys=True)
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    payload = st_save(tensors, metadata=metadata)
    atomic_write_bytes(path, payload)
    return path


def atomic_write_bytes(path: str | os.PathLike, payload: bytes) -> None:
    """Write ``payload`` to ``path`` via a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the mode open() would
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _refuse_foreign(data: bytes, path: Path) -> None:
    if data[:2] == b"PK":
        raise CheckpointError(
            f"{path}: this is a zip archive (what torch.save writes), not a revcomp checkpoint; "
            "refusing to unpickle it"
        )
    if data[:1] == b"\x80" and len(data) > 1 and data[1] <= 5:
        raise CheckpointError(
            f"{path}: this is a Python pickle, not a revcomp checkpoint; refusing to unpickle it"
        )


def read_checkpoint(path: str | os.PathLike) -> tuple[Config, dict[str, torch.Tensor], dict]:
    """Read and validate a checkpoint file: ``(config, tensors, extra)``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such checkpoint file: {path}")
    if path.is_dir():
        raise CheckpointError(f"{path} is a directory, not a checkpoint file")
    data = path.read_bytes()
    _refuse_foreign(data, path)
    if len(data) < 8:
        raise CheckpointError(f"{path}: file is too short ({len(data)} bytes) to be a checkpoint")
    header_len = int.from_bytes(data[:8], "little")
    if header_len <= 0 or 8 + header_len > len(data):
        raise CheckpointError(f"{path}: not a safetensors checkpoint, or truncated (bad header length)")
    try:
        header = json.loads(data[8 : 8 + header_len])
        tensors = st_load(data)
    except (SafetensorError, ValueError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint ({err})") from None
    metadata = header.get("__metadata__") or {}
    if metadata.get("format") != FORMAT or "revcomp_config" not in metadata:
        raise CheckpointError(f"{path}: a safetensors file, but not a revcomp checkpoint (no revcomp config)")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {metadata.get('format_version')!r} is not supported "
            f"(this revcomp reads version {FORMAT_VERSION})"
        )
    try:
        config = Config.from_dict(json.loads(metadata["revcomp_config"]))
        extra = json.loads(metadata.get("extra", "{}"))
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"{path}: the stored config is invalid ({err})") from None
    return config, tensors, extra


def load_checkpoint(path: str | os.PathLike, expect: Config | None = None) -> RevCompLSTM:
    """Load a model from ``path``; with ``expect``, refuse a checkpoint for another architecture."""
    config, tensors, _ = read_checkpoint(path)
    if expect is not None:
        for key in ("task", "length", "hidden_size"):
            if getattr(expect, key) != getattr(config, key):
                raise CheckpointError(
                    f"{path}: checkpoint is for {config.name}, expected {expect.name} ({key} differs)"
                )
    model = RevCompLSTM(config)
    expected = model.state_dict()
    if set(tensors) != set(expected):
        raise CheckpointError(
            f"{path}: tensor names {sorted(tensors)} do not match the model's {sorted(expected)}"
        )
    for name, tensor in tensors.items():
        if tensor.dtype != expected[name].dtype:
            raise CheckpointError(
                f"{path}: tensor {name} is {tensor.dtype}, but the model's weights are {expected[name].dtype}"
            )
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{path}: tensor {name} has shape {tuple(tensor.shape)}, "
                f"but {config.name} needs {tuple(expected[name].shape)}"
            )
    model.load_state_dict(tensors)
    model.eval()
    return model
