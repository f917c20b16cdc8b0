"""The ``revcomp`` command line: train, evaluate, predict, list models.

Every subcommand is a small function ``cmd_<name>(args) -> int``. Errors a user
can cause (a bad base, a wrong length, a missing or corrupt file, an unknown
model) are reported as one line on stderr with exit status 2 -- never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from collections.abc import Callable, Sequence

from revcomp.checkpoint import CheckpointError, atomic_write_text, save_checkpoint
from revcomp.dna import encode_batch, reverse_complement
from revcomp.evaluate import evaluate
from revcomp.model import Config
from revcomp.pretrained import DEFAULT_MODEL, load_model, shipped_metrics, shipped_models
from revcomp.tasks import MAX_EXHAUSTIVE_LENGTH, TASKS

USER_ERRORS = (ValueError, FileNotFoundError, CheckpointError, IsADirectoryError, PermissionError)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every other user error
        raise UsageError(f"{self.prog}: {message}")


def _add_model_arg(parser: argparse.ArgumentParser, flag: bool) -> None:
    help_text = f"a shipped model's name or a checkpoint path (default {DEFAULT_MODEL})"
    if flag:
        parser.add_argument("--model", default=None, help=help_text)
    else:
        parser.add_argument("model", nargs="?", default=None, help=help_text)


def metrics_for(model, command: str | None, train_info: dict | None = None) -> dict:
    """Evaluation of ``model`` for a metrics file: exhaustive when ``4**L`` is affordable."""
    exhaustive = model.task.length <= 10
    result = evaluate(model, exhaustive=exhaustive, samples=100_000)
    return {
        "name": model.config.name,
        "config": model.config.to_dict(),
        "command": command,
        "training": train_info or {},
        "evaluation": result.to_dict(),
        "versions": _versions(),
    }


def _versions() -> dict:
    import platform

    import numpy
    import torch

    from revcomp import __version__

    return {
        "revcomp": __version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
    }


def cmd_train(args: argparse.Namespace) -> int:
    from revcomp.train import train

    config = Config(
        task=args.task,
        length=args.length,
        hidden_size=args.hidden,
        seed=args.seed,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        max_steps=args.steps,
        target_accuracy=args.target,
        eval_every=args.eval_every,
        eval_samples=args.eval_samples,
        threads=args.threads,
    )
    result = train(config, progress=not args.quiet, device=_device(args.device))
    command = "revcomp " + " ".join(shlex.quote(a) for a in args.argv)
    info = {
        "steps": result.steps,
        "seconds": round(result.seconds, 3),
        "reached_target": result.reached_target,
    }
    metrics = metrics_for(result.model, command, info)
    save_checkpoint(result.model.cpu(), args.out)
    metrics_path = _metrics_path(args.out)
    atomic_write_text(metrics_path, json.dumps(metrics, indent=2) + "\n")
    ev = metrics["evaluation"]
    checked = f"{ev['inputs_checked']:,} {'(all)' if ev['exhaustive'] else 'sampled'}"
    print(
        f"{config.name}: {result.steps} steps in {result.seconds:.1f} s, "
        f"{'reached' if result.reached_target else 'did NOT reach'} target {config.target_accuracy}; "
        f"whole-sequence accuracy {ev['whole_sequence_accuracy']:.4f} on {checked} inputs; "
        f"saved {args.out} and {metrics_path}",
        file=sys.stderr,
    )
    return 0


def _device(name: str):
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name!r} is not a device: use cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name!r} asked for CUDA, but no CUDA device is available here")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"--device {name!r} is not supported: use cpu, cuda or cuda:N")
    return device


def _metrics_path(out: str) -> str:
    return out.removesuffix(".safetensors") + ".metrics.json"


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    if args.exhaustive and model.task.length > MAX_EXHAUSTIVE_LENGTH:
        raise ValueError(f"--exhaustive refused for length {model.task.length}: use --samples")
    result = evaluate(model, exhaustive=args.exhaustive, samples=args.samples)
    if args.json:
        print(json.dumps({"model": model.config.name, **result.to_dict()}))
        return 0
    kind = "all inputs" if result.exhaustive else "random inputs"
    print(f"{model.config.name}: {result.inputs_checked:,} {kind} checked")
    print("position  accuracy  ceiling")
    for pos, (acc, ceil) in enumerate(zip(result.per_position_accuracy, result.ceiling, strict=True)):
        print(f"{pos:>8}  {acc:8.4f}  {ceil:7.2f}")
    print(
        f"whole-sequence accuracy {result.whole_sequence_accuracy:.4f} "
        f"(ceiling {model.task.whole_sequence_ceiling():.4f}; {result.whole_sequence_correct:,} correct)"
    )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    for index, seq in enumerate(args.sequences):
        codes = encode_batch([seq])  # validates each input separately, naming it
        if codes.shape[1] != model.task.length:
            raise ValueError(
                f"input {index + 1} {seq!r} has length {codes.shape[1]}, "
                f"but model {model.config.name} reads length {model.task.length}"
            )
    predicted = model.predict(list(args.sequences))
    rows = []
    for seq, pred in zip(args.sequences, predicted, strict=True):
        expected = reverse_complement(seq)
        rows.append({"input": seq, "predicted": pred, "expected": expected, "correct": pred == expected})
    if args.json:
        print(json.dumps(rows))
        return 0
    for row in rows:
        marks = "".join(
            " " if p == e else "^" for p, e in zip(row["predicted"], row["expected"], strict=True)
        )
        verdict = "correct" if row["correct"] else f"{marks.count('^')} mismatch(es)"
        print(f"input     {row['input']}")
        print(f"predicted {row['predicted']}  {verdict}")
        print(f"expected  {row['expected']}")
        if not row["correct"]:
            print(f"          {marks}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    for name in shipped_models():
        metrics = shipped_metrics(name)
        cfg, ev = metrics["config"], metrics["evaluation"]
        checked = "all" if ev["exhaustive"] else "sampled"
        print(
            f"{name}  task={cfg['task']} length={cfg['length']} hidden={cfg['hidden_size']} "
            f"whole_sequence_accuracy={ev['whole_sequence_accuracy']:.4f} "
            f"(ceiling {math.prod(ev['ceiling']):.4f}, {ev['inputs_checked']:,} {checked} inputs)"
        )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "predict": cmd_predict,
    "models": cmd_models,
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="revcomp", description="A tiny LSTM that learns the reverse complement of DNA.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("train", help="train a model and save it with a metrics file")
    p.add_argument("--task", choices=TASKS, default="delayed")
    p.add_argument("--length", type=int, default=5)
    p.add_argument("--hidden", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=Config.max_steps, help="maximum training steps")
    p.add_argument("--lr", type=float, default=Config.learning_rate)
    p.add_argument("--batch-size", type=int, default=Config.batch_size)
    p.add_argument(
        "--target", type=float, default=Config.target_accuracy, help="held-out accuracy to stop at"
    )
    p.add_argument("--eval-every", type=int, default=Config.eval_every, help="steps between held-out checks")
    p.add_argument("--eval-samples", type=int, default=Config.eval_samples, help="held-out sequences")
    p.add_argument("--threads", type=int, default=Config.threads)
    p.add_argument("--device", default="cpu")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, help="checkpoint path (.safetensors)")

    p = sub.add_parser("evaluate", help="accuracy per position against the ceiling")
    _add_model_arg(p, flag=False)
    p.add_argument("--exhaustive", action="store_true", help="check all 4**L inputs")
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("predict", help="reverse-complement sequences with a model")
    _add_model_arg(p, flag=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("sequences", nargs="+", metavar="SEQ")

    sub.add_parser("models", help="list the shipped models")
    for name, register in EXTRA_COMMANDS.items():
        register(sub.add_parser(name, help=EXTRA_HELP.get(name)))
    return parser


# Other modules add subcommands here (name -> function adding arguments), keeping this file small.
EXTRA_COMMANDS: dict[str, Callable[[argparse.ArgumentParser], None]] = {}
EXTRA_HELP: dict[str, str] = {}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _load_extra_commands()
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv
        return COMMANDS[args.command](args)
    except UsageError as err:
        print(f"{err}", file=sys.stderr)
        return 2
    except USER_ERRORS as err:
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"revcomp: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("revcomp: interrupted", file=sys.stderr)
        return 130


def _load_extra_commands() -> None:
    """Import modules that register extra subcommands (inspect, sweep) if present."""
    import importlib

    for module in ("revcomp.inspect_cli", "revcomp.sweep"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


if __name__ == "__main__":
    sys.exit(main())
