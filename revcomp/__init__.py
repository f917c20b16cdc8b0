"""revcomp: a tiny LSTM that learns the reverse complement of DNA, small enough to open up.

The public API in one place::

    import revcomp
    model = revcomp.load_model("delayed-L5-H8")
    model.predict("ATGCA")            # 'TGCAT'
    revcomp.evaluate(model, exhaustive=True)
"""

from revcomp.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from revcomp.dna import (
    BASES,
    decode,
    decode_batch,
    encode,
    encode_batch,
    reverse_complement,
    reverse_complement_codes,
)
from revcomp.evaluate import EvalResult, evaluate
from revcomp.model import Config, RevCompLSTM, build_model
from revcomp.pretrained import DEFAULT_MODEL, load_model, shipped_models
from revcomp.tasks import BLANK, GO, TASKS, Task, all_sequences, random_sequences
from revcomp.train import TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "BASES",
    "BLANK",
    "DEFAULT_MODEL",
    "GO",
    "TASKS",
    "CheckpointError",
    "Config",
    "EvalResult",
    "RevCompLSTM",
    "Task",
    "TrainResult",
    "all_sequences",
    "build_model",
    "decode",
    "decode_batch",
    "encode",
    "encode_batch",
    "evaluate",
    "load_checkpoint",
    "load_model",
    "random_sequences",
    "reverse_complement",
    "reverse_complement_codes",
    "save_checkpoint",
    "shipped_models",
    "train",
]
