"""Checkpoints: safetensors + config, atomic saves, clear errors, and never unpickling."""

from __future__ import annotations

import io
import json
import os
import pickle
import random
import shutil
import struct
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save as st_save

from revcomp import CheckpointError, Config, build_model, evaluate, load_checkpoint, save_checkpoint
from revcomp.checkpoint import FORMAT, read_checkpoint


def copy(src: Path, dst_dir: Path, name: str = "model.safetensors") -> Path:
    dst = dst_dir / name
    shutil.copyfile(src, dst)
    return dst


def revcomp_metadata(config: Config) -> dict[str, str]:
    return {"format": FORMAT, "format_version": "1", "revcomp_config": config.to_json()}


# --- round trip -------------------------------------------------------------------------------


def test_round_trip_keeps_weights_config_and_predictions(tiny_model, tiny_checkpoint):
    loaded = load_checkpoint(tiny_checkpoint)
    assert loaded.config == tiny_model.config
    original, restored = tiny_model.state_dict(), loaded.state_dict()
    assert original.keys() == restored.keys()
    for name in original:
        assert torch.equal(original[name], restored[name]), name
    assert not loaded.training
    assert evaluate(loaded, exhaustive=True).to_dict() == evaluate(tiny_model, exhaustive=True).to_dict()


def test_file_is_plain_safetensors_with_the_config_in_its_metadata(tiny_model, tiny_checkpoint):
    with safe_open(str(tiny_checkpoint), framework="pt") as handle:
        metadata = handle.metadata()
        names = set(handle.keys())
    assert metadata["format"] == FORMAT
    assert Config.from_dict(json.loads(metadata["revcomp_config"])) == tiny_model.config
    assert names == set(tiny_model.state_dict())
    assert tiny_checkpoint.stat().st_size < 10_000


def test_extra_metadata_round_trips(tiny_model, tmp_path):
    path = save_checkpoint(tiny_model, tmp_path / "x.safetensors", extra={"note": "hello", "steps": 3})
    config, tensors, extra = read_checkpoint(path)
    assert extra == {"note": "hello", "steps": 3}
    assert config == tiny_model.config and set(tensors) == set(tiny_model.state_dict())


def test_load_with_expected_config(tiny_model, tiny_checkpoint):
    assert load_checkpoint(tiny_checkpoint, expect=tiny_model.config).config == tiny_model.config


# --- atomic save ------------------------------------------------------------------------------


def test_save_creates_folders_overwrites_and_leaves_no_temporary_files(tiny_model, tmp_path):
    path = tmp_path / "deep" / "er" / "m.safetensors"
    save_checkpoint(build_model(Config(length=3)), path)
    save_checkpoint(tiny_model, path)  # overwrite
    assert os.listdir(path.parent) == ["m.safetensors"]
    assert torch.equal(load_checkpoint(path).readout.weight, tiny_model.readout.weight)


def test_saved_file_gets_the_usual_permissions(tiny_model, tmp_path):
    """The temporary file of an atomic save is 0600; the saved checkpoint must not stay private."""
    path = save_checkpoint(tiny_model, tmp_path / "m.safetensors")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_save_keeps_the_old_file_and_cleans_up(tiny_model, tmp_path, monkeypatch):
    path = save_checkpoint(tiny_model, tmp_path / "m.safetensors")
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk on fire"):
        save_checkpoint(build_model(Config(length=3, seed=9)), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]


# --- broken and foreign files -----------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 1, 7, 8, 9, 50, -200, -1])
def test_truncated_checkpoint_is_a_clear_error(tiny_checkpoint, tmp_path, keep):
    data = tiny_checkpoint.read_bytes()
    path = tmp_path / "cut.safetensors"
    path.write_bytes(data[:keep])
    with pytest.raises(CheckpointError, match=r"too short|truncated|corrupt"):
        load_checkpoint(path)


@pytest.mark.parametrize("where", ["length", "header", "json"])
def test_corrupted_header_is_a_clear_error(tiny_checkpoint, tmp_path, where):
    data = bytearray(tiny_checkpoint.read_bytes())
    if where == "length":
        data[0:8] = struct.pack("<Q", 2**40)
    elif where == "header":
        data[8:24] = b"\xff" * 16
    else:
        data[8] = ord("[")
    path = tmp_path / "bad.safetensors"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"truncated|corrupt|not a safetensors"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"hello, I am a text file\n",
        random.Random(0).randbytes(300),
        b"\x00" * 64,
        json.dumps({"a": 1}).encode(),
    ],
    ids=["empty", "text", "random", "zeros", "json"],
)
def test_not_a_checkpoint_is_a_clear_error(tmp_path, content):
    path = tmp_path / "x.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)


def test_safetensors_without_revcomp_config_is_refused(tiny_model, tmp_path):
    path = tmp_path / "plain.safetensors"
    path.write_bytes(st_save({k: v.contiguous() for k, v in tiny_model.state_dict().items()}))
    with pytest.raises(CheckpointError, match="not a revcomp checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "config_json",
    [
        '{"task": "delayed", "hidden_size": 0}',
        '{"task": "sideways"}',
        '{"colour": 1}',
        "[1, 2]",
        "not json",
        '{"hidden_size": 8.5}',
    ],
)
def test_invalid_stored_config_is_refused(tiny_model, tmp_path, config_json):
    path = tmp_path / "m.safetensors"
    meta = {"format": FORMAT, "format_version": "1", "revcomp_config": config_json}
    path.write_bytes(st_save({k: v.contiguous() for k, v in tiny_model.state_dict().items()}, metadata=meta))
    with pytest.raises(CheckpointError, match="stored config is invalid"):
        load_checkpoint(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "nope.safetensors")
    with pytest.raises(CheckpointError, match="is a directory"):
        load_checkpoint(tmp_path)


# --- mismatches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expect",
    [
        Config(task="delayed", length=3, hidden_size=16),
        Config(task="aligned", length=3, hidden_size=8),
        Config(task="delayed", length=4, hidden_size=8),
    ],
)
def test_checkpoint_for_another_architecture_is_refused(tiny_checkpoint, expect):
    with pytest.raises(CheckpointError, match=f"checkpoint is for delayed-L3-H8, expected {expect.name}"):
        load_checkpoint(tiny_checkpoint, expect=expect)


def test_tensor_shapes_must_match_the_stored_config(tmp_path):
    """Weights of an H=16 model under an H=8 config: refused, naming the tensor and both shapes."""
    big = build_model(Config(length=3, hidden_size=16))
    path = tmp_path / "m.safetensors"
    tensors = {k: v.contiguous() for k, v in big.state_dict().items()}
    path.write_bytes(st_save(tensors, metadata=revcomp_metadata(Config(length=3, hidden_size=8))))
    with pytest.raises(CheckpointError, match=r"tensor \S+ has shape .* but delayed-L3-H8 needs"):
        load_checkpoint(path)


def test_tensor_names_must_match(tiny_model, tmp_path):
    tensors = {k: v.contiguous() for k, v in tiny_model.state_dict().items()}
    tensors.pop("readout.bias")
    tensors["surprise"] = torch.zeros(2)
    path = tmp_path / "m.safetensors"
    path.write_bytes(st_save(tensors, metadata=revcomp_metadata(tiny_model.config)))
    with pytest.raises(CheckpointError, match="tensor names .* do not match"):
        load_checkpoint(path)


# --- pickles are refused without being run ----------------------------------------------------


class WritesMarker:
    """Unpickling this calls ``open(marker, "w")``: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_the_malicious_payload_really_runs_when_unpickled(tmp_path):
    """Control: without this, 'the marker was not created' below would prove nothing."""
    marker = tmp_path / "control-marker"
    pickle.loads(pickle.dumps(WritesMarker(marker))).close()
    assert marker.exists()


@pytest.mark.parametrize("protocol", range(0, pickle.HIGHEST_PROTOCOL + 1))
def test_raw_pickle_is_refused_without_running_it(tmp_path, protocol):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(WritesMarker(marker), protocol=protocol))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("zipfile_format", [True, False], ids=["zip", "legacy"])
def test_torch_save_output_is_refused_without_running_it(tmp_path, zipfile_format):
    marker = tmp_path / "marker"
    buffer = io.BytesIO()
    torch.save(
        {"weights": torch.zeros(3), "payload": WritesMarker(marker)},
        buffer,
        _use_new_zipfile_serialization=zipfile_format,
    )
    path = tmp_path / "model.pt"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError, match="refusing to unpickle"):
        load_checkpoint(path)
    assert not marker.exists()


def test_torch_save_of_a_real_state_dict_is_refused(tiny_model, tmp_path):
    path = tmp_path / "model.pt"
    torch.save(tiny_model.state_dict(), path)
    with pytest.raises(CheckpointError, match="zip archive .*torch.save.*refusing to unpickle"):
        load_checkpoint(path)


def test_unknown_format_version_is_refused(tiny_model, tmp_path):
    path = tmp_path / "future.safetensors"
    meta = {"format": FORMAT, "format_version": "99", "revcomp_config": tiny_model.config.to_json()}
    path.write_bytes(st_save({k: v.contiguous() for k, v in tiny_model.state_dict().items()}, metadata=meta))
    with pytest.raises(CheckpointError, match="format version '99' is not supported"):
        load_checkpoint(path)


def test_weights_of_the_wrong_dtype_are_refused(tiny_model, tmp_path):
    path = tmp_path / "ints.safetensors"
    meta = {"format": FORMAT, "format_version": "1", "revcomp_config": tiny_model.config.to_json()}
    tensors = {k: v.to(torch.int64).contiguous() for k, v in tiny_model.state_dict().items()}
    path.write_bytes(st_save(tensors, metadata=meta))
    with pytest.raises(CheckpointError, match="torch.int64"):
        load_checkpoint(path)
