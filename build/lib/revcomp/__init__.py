"""revcomp: a tiny LSTM that learns the reverse complement of DNA, small enough to open up.

The public API in one place::

    import revcomp
    model = revcomp.load_model("delayed-L5-H8")
    model.predict("ATGCA")            # 'TGCAT'
    revcomp.evaluate(model, exhaustive=True)
"""

from revcomp.causal import ablate_units, interchange, probe_patching
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
from revcomp.geometry import clamped_gate_accuracy, gate_saturation, pca, pca_frame
from revcomp.interventions import patch, patch_state, scale_unit, set_unit, zero_unit
from revcomp.model import Config, RevCompLSTM, build_model
from revcomp.pretrained import DEFAULT_MODEL, load_model, shipped_models
from revcomp.probes import fit_probes, probe_accuracy
from revcomp.roles import check_claim, roles_per_step, unit_roles
from revcomp.tasks import BLANK, GO, TASKS, Task, all_sequences, random_sequences
from revcomp.trace import NAMES, Trace, activation_frame, analysis_sequences
from revcomp.train import TrainResult, train

# ``revcomp.trace`` stays the module (``revcomp.trace.trace(model, seqs)``): exporting the function
# under the same name would shadow it and break ``import revcomp.trace as ...``.

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
    # interpretability toolkit
    "NAMES",
    "Trace",
    "ablate_units",
    "activation_frame",
    "analysis_sequences",
    "check_claim",
    "clamped_gate_accuracy",
    "fit_probes",
    "gate_saturation",
    "interchange",
    "patch",
    "patch_state",
    "pca",
    "pca_frame",
    "probe_accuracy",
    "probe_patching",
    "roles_per_step",
    "scale_unit",
    "set_unit",
    "unit_roles",
    "zero_unit",
]
