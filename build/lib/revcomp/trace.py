"""Trace: every internal of a :class:`~revcomp.model.RevCompLSTM`, at every step, in one call.

``torch.nn.LSTM`` returns the hidden state at every step but neither the gates
nor the cell state per step. :func:`trace` recomputes the LSTM step by step from
the model's own ``nn.LSTM`` weights (PyTorch gate order ``i, f, g, o``) and
keeps everything, in the spirit of TransformerLens's ``run_with_cache``::

    cache = trace(model, seqs)          # seqs: (batch, L) base codes, or DNA strings
    cache.names                         # the names below
    cache["cell"].shape                 # (batch, n_steps, H)
    cache.output("probs")               # (batch, L, 4): at the output steps only

The names (:data:`NAMES`), each ``(batch, n_steps, size)``:

========================  =====  ==========================================================
name                      size   meaning
========================  =====  ==========================================================
``input_gate``            H      ``i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)``
``forget_gate``           H      ``f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)``
``cell_candidate``        H      ``g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)``
``output_gate``           H      ``o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)``
``cell``                  H      ``c_t = f_t * c_{t-1} + i_t * g_t``
``hidden``                H      ``h_t = o_t * tanh(c_t)``
``logits``                4      ``readout(h_t)``: one score per base, in code order A, T, G, C
``probs``                 4      ``softmax(logits)``
========================  =====  ==========================================================

The initial state is ``h_{-1} = c_{-1} = 0``, as in ``nn.LSTM``. A test checks
the recomputation against ``nn.LSTM`` to ``<= 1e-5`` on 10,000 sequences.

**Interventions.** ``trace(model, seqs, interventions=[...])`` calls each hook
as ``hook(name, step, tensor) -> tensor`` on the ``(batch, size)`` value of
``name`` at ``step`` and uses what it returns from then on, so the rest of the
sequence is rerun from the edited value. Within one step the order is: the four
gates, then ``cell`` (computed from the possibly edited gates), then ``hidden``
(from the possibly edited cell), and after the last step ``logits`` per step
(from the possibly edited hidden state); ``probs`` always follows ``logits``.
Editing ``hidden`` at step ``t`` changes that step's logits and every later
step; editing ``cell`` at step ``t`` also changes ``h_t``. The cache holds the
edited values. Ready-made hooks are in :mod:`revcomp.interventions`. A hook may
carry ``names`` and ``steps`` attributes (sets) to say where it acts; it is then
only called there. A plain function is called for every name and step.

Tensors in the cache may be non-contiguous views (they are stored step-major
internally for speed): use ``.reshape``, not ``.view``. Everything runs under
``torch.no_grad()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from revcomp.dna import BASES, encode_batch
from revcomp.model import Config, RevCompLSTM
from revcomp.tasks import Task, all_sequences, random_sequences

GATE_NAMES: tuple[str, ...] = ("input_gate", "forget_gate", "cell_candidate", "output_gate")
"""The four gates, in PyTorch's order (``i, f, g, o``) -- the row blocks of ``weight_ih_l0``."""

STATE_NAMES: tuple[str, ...] = ("cell", "hidden")
"""The recurrent state: cell state ``c_t`` and hidden state ``h_t``."""

UNIT_NAMES: tuple[str, ...] = GATE_NAMES + STATE_NAMES
"""Every internal with one value per hidden unit (size ``H``)."""

NAMES: tuple[str, ...] = UNIT_NAMES + ("logits", "probs")
"""Every name a :class:`Trace` holds, in computation order."""

HOOKABLE_NAMES: tuple[str, ...] = UNIT_NAMES + ("logits",)
"""Names an intervention can edit (``probs`` is always recomputed from ``logits``)."""

TOKEN_LABELS: tuple[str, ...] = tuple(BASES) + ("GO", "BLANK")
"""Label of each input token id: the four bases, then ``GO`` (4) and ``BLANK`` (5)."""

Hook = Callable[[str, int, torch.Tensor], torch.Tensor]
"""An intervention: ``hook(name, step, value) -> new value``, ``value`` of shape ``(batch, size)``."""


class Trace(Mapping[str, torch.Tensor]):
    """Everything a model computed on a batch: ``cache[name]`` is ``(batch, n_steps, size)``.

    Besides the tensors (see :data:`NAMES`) a trace knows its inputs:
    ``seqs`` (base codes ``(batch, L)``), ``tokens`` (``(batch, n_steps)``),
    ``task`` and ``config``. :meth:`output` selects the output steps;
    :attr:`predictions`, :attr:`correct` and :meth:`accuracy` score them;
    :meth:`to_frame` gives a tidy table. ``model`` is the model that ran.
    """

    def __init__(
        self,
        tensors: dict[str, torch.Tensor],
        seqs: torch.Tensor,
        tokens: torch.Tensor,
        config: Config,
        model: RevCompLSTM | None = None,
    ) -> None:
        self._tensors = tensors
        self.seqs = seqs
        self.tokens = tokens
        self.config = config
        self.model = model
        self.task: Task = config.to_task()

    def __getitem__(self, name: str) -> torch.Tensor:
        try:
            return self._tensors[name]
        except KeyError:
            raise KeyError(f"no internal named {name!r}: the names are {', '.join(self._tensors)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tensors)

    def __len__(self) -> int:
        return len(self._tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{n}{tuple(t.shape)}" for n, t in self._tensors.items())
        return f"Trace({self.config.name}, batch={self.batch_size}: {shapes})"

    @property
    def names(self) -> tuple[str, ...]:
        """The names held, in computation order."""
        return tuple(self._tensors)

    @property
    def batch_size(self) -> int:
        return int(self.seqs.shape[0])

    @property
    def n_steps(self) -> int:
        return self.task.n_steps

    @property
    def hidden_size(self) -> int:
        return self.config.hidden_size

    @property
    def output_steps(self) -> list[int]:
        """The step that emits each output position, in position order."""
        return [self.task.output_step(p) for p in range(self.task.length)]

    def output(self, name: str) -> torch.Tensor:
        """``cache[name]`` at the output steps only: ``(batch, L, size)``, position-ordered."""
        start = self.task.first_output_step
        return self[name][:, start : start + self.task.length]

    def state_at(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(h, c)`` after ``step``, each ``(batch, H)`` (a starting state for :func:`trace`)."""
        return self["hidden"][:, step].clone(), self["cell"][:, step].clone()

    @property
    def predictions(self) -> torch.Tensor:
        """Predicted base codes ``(batch, L)``: argmax of the logits at the output steps."""
        return self.output("logits").argmax(-1)

    @property
    def targets(self) -> torch.Tensor:
        """The right answers ``(batch, L)``: the reverse complement codes."""
        return self.task.targets(self.seqs)

    @property
    def correct(self) -> torch.Tensor:
        """``(batch, L)`` booleans: is each output position right."""
        return self.predictions == self.targets

    def accuracy(self) -> dict[str, list[float] | float]:
        """``{"per_position": [...], "whole_sequence": ...}`` over this batch."""
        hits = self.correct
        return {
            "per_position": hits.double().mean(0).tolist(),
            "whole_sequence": float(hits.all(1).double().mean()),
        }

    def to_frame(
        self,
        names: Iterable[str] | str | None = None,
        *,
        sequences: Sequence[int] | None = None,
        steps: Sequence[int] | None = None,
        units: Sequence[int] | None = None,
    ) -> pd.DataFrame:
        """Tidy long-format table of activations; see :func:`activation_frame`."""
        return activation_frame(self, names, sequences=sequences, steps=steps, units=units)


def as_codes(seqs: torch.Tensor | Sequence[str] | str, length: int | None = None) -> torch.Tensor:
    """Base codes ``(batch, L)`` from a tensor of codes or DNA strings, checking the length."""
    if isinstance(seqs, str):
        seqs = [seqs]
    if not isinstance(seqs, torch.Tensor):
        seqs = encode_batch(seqs)
    seqs = seqs.long()
    if seqs.dim() == 1:
        seqs = seqs.unsqueeze(0)
    if length is not None and (seqs.dim() != 2 or seqs.shape[1] != length):
        raise ValueError(f"expected sequences of length {length}, got shape {tuple(seqs.shape)}")
    return seqs


def _hooks_by_name(hooks: Sequence[Hook]) -> dict[str, list[Hook]]:
    by_name: dict[str, list[Hook]] = {name: [] for name in HOOKABLE_NAMES}
    for hook in hooks:
        if not callable(hook):
            raise TypeError(f"an intervention must be callable as hook(name, step, tensor), got {hook!r}")
        names = getattr(hook, "names", None)
        targets = HOOKABLE_NAMES if names is None else tuple(names)
        for name in targets:
            if name not in by_name:
                raise ValueError(f"can not intervene on {name!r}: choose from {', '.join(HOOKABLE_NAMES)}")
            by_name[name].append(hook)
    return by_name


def _apply(hooks: list[Hook], name: str, step: int, value: torch.Tensor) -> None:
    """Run the hooks acting at (name, step) and write the result back into ``value`` in place."""
    for hook in hooks:
        steps = getattr(hook, "steps", None)
        if steps is not None and step not in steps:
            continue
        out = hook(name, step, value)
        if out is None:
            continue
        if out is not value:
            if out.shape != value.shape:
                out = out.expand(value.shape)
            value.copy_(out)


@torch.no_grad()
def trace(
    model: RevCompLSTM,
    seqs: torch.Tensor | Sequence[str] | str,
    *,
    interventions: Sequence[Hook] = (),
    initial_state: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> Trace:
    """Run ``model`` on ``seqs`` and return every internal per step (see the module docstring).

    ``seqs`` are base codes ``(batch, L)`` or DNA strings of the model's
    length; the task's framing turns them into input tokens. ``interventions``
    are hooks ``hook(name, step, tensor) -> tensor`` (see
    :mod:`revcomp.interventions`). ``initial_state`` is an optional ``(h0, c0)``
    pair of ``(batch, H)`` tensors (default zeros).

    Cost: one gather for the input projection of all steps (inputs are one-hot,
    so ``W_ih x_t`` is a column of ``W_ih``), then one ``(B, H) x (H, 4H)``
    matmul and a few element-wise ops per step.
    """
    task = model.task
    codes = as_codes(seqs, task.length)
    tokens = task.inputs(codes.to(model.device))
    lstm = model.lstm
    H = model.config.hidden_size
    B, T = tokens.shape
    hooks = _hooks_by_name(interventions) if interventions else {}

    # Gate columns reordered once to (i, f, o, g): the three sigmoid gates are one
    # contiguous block and the candidate another, so each step needs one sigmoid
    # and one tanh.
    order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
    order = order.to(lstm.weight_ih_l0.device)
    # Input projection: tokens are one-hot, so W_ih x_t + b is a row of this table.
    table = (lstm.weight_ih_l0.t() + lstm.bias_ih_l0 + lstm.bias_hh_l0)[:, order].contiguous()
    w_hh = lstm.weight_hh_l0.t()[:, order].contiguous()  # (H, 4H)
    steps_tokens = tokens.t().contiguous()  # (T, B)

    dtype, device = table.dtype, table.device
    sig = torch.empty(T, B, 3 * H, dtype=dtype, device=device)  # i, f, o
    cand = torch.empty(T, B, H, dtype=dtype, device=device)  # g
    cell = torch.empty(T, B, H, dtype=dtype, device=device)
    hidden = torch.empty(T, B, H, dtype=dtype, device=device)
    pre = torch.empty(B, 4 * H, dtype=dtype, device=device)
    if initial_state is None:
        h = torch.zeros(B, H, dtype=dtype, device=device)
        c = torch.zeros(B, H, dtype=dtype, device=device)
    else:
        h, c = (s.to(device=device, dtype=dtype).expand(B, H).contiguous() for s in initial_state)
    ifo = slice(0, 3 * H)
    g_cols = slice(3 * H, 4 * H)
    sig_slices = {
        "input_gate": slice(0, H),
        "forget_gate": slice(H, 2 * H),
        "output_gate": slice(2 * H, 3 * H),
    }

    for t in range(T):
        torch.index_select(table, 0, steps_tokens[t], out=pre)
        pre.addmm_(h, w_hh)
        torch.sigmoid(pre[:, ifo], out=sig[t])
        torch.tanh(pre[:, g_cols], out=cand[t])
        i, f, o = (sig[t][:, sl] for sl in sig_slices.values())
        g = cand[t]
        if hooks:
            for name in GATE_NAMES:
                if hooks[name]:
                    _apply(
                        hooks[name], name, t, g if name == "cell_candidate" else sig[t][:, sig_slices[name]]
                    )
        c_new = cell[t]
        torch.mul(f, c, out=c_new)
        c_new.addcmul_(i, g)
        if hooks and hooks["cell"]:
            _apply(hooks["cell"], "cell", t, c_new)
        h_new = hidden[t]
        torch.tanh(c_new, out=h_new)
        h_new.mul_(o)
        if hooks and hooks["hidden"]:
            _apply(hooks["hidden"], "hidden", t, h_new)
        h, c = h_new, c_new

    readout = model.readout
    logits = torch.addmm(readout.bias, hidden.reshape(T * B, H), readout.weight.t()).reshape(T, B, -1)
    if hooks and hooks["logits"]:
        for t in range(T):
            _apply(hooks["logits"], "logits", t, logits[t])
    probs = _softmax(logits)

    tensors = {
        "input_gate": sig[:, :, sig_slices["input_gate"]].transpose(0, 1),
        "forget_gate": sig[:, :, sig_slices["forget_gate"]].transpose(0, 1),
        "cell_candidate": cand.transpose(0, 1),
        "output_gate": sig[:, :, sig_slices["output_gate"]].transpose(0, 1),
    }
    tensors["cell"] = cell.transpose(0, 1)
    tensors["hidden"] = hidden.transpose(0, 1)
    tensors["logits"] = logits.transpose(0, 1)
    tensors["probs"] = probs.transpose(0, 1)
    return Trace(tensors, codes.to(device), tokens, model.config, model)


def _softmax(logits: torch.Tensor) -> torch.Tensor:
    """Softmax over the last (size-4) axis; ~3x faster than ``torch.softmax`` on such a small axis."""
    out = logits - logits.amax(-1, keepdim=True)
    out.exp_()
    out /= out.sum(-1, keepdim=True)
    return out


def analysis_sequences(length: int, max_sequences: int = 4096, seed: int = 0) -> torch.Tensor:
    """The inputs the analyses use by default: all ``4**L`` sequences if that is at most
    ``max_sequences``, else ``max_sequences`` distinct random ones (seeded)."""
    if 4**length <= max_sequences:
        return torch.cat(list(all_sequences(length)))
    generator = torch.Generator().manual_seed(seed)
    seqs = torch.unique(random_sequences(max_sequences + max_sequences // 8, length, generator), dim=0)
    keep = torch.randperm(seqs.shape[0], generator=generator)[:max_sequences]
    return seqs[keep]


def step_positions(task: Task) -> list[int | None]:
    """For each step, the output position it emits (``None`` during the delayed read phase)."""
    first = task.first_output_step
    return [t - first if first <= t < first + task.length else None for t in range(task.n_steps)]


def sequence_frame(cache: Trace) -> pd.DataFrame:
    """One row per (sequence, step): the context columns of :func:`activation_frame`."""
    task = cache.task
    B, T, L = cache.batch_size, task.n_steps, task.length
    seqs = cache.seqs.cpu().numpy()
    tokens = cache.tokens.cpu().numpy()
    targets = cache.targets.cpu().numpy()
    preds = cache.predictions.cpu().numpy()
    letters = np.array(list(BASES))
    token_labels = np.array(TOKEN_LABELS)
    pos = np.array([-1 if p is None else p for p in step_positions(task)])
    pos_bt = np.broadcast_to(pos, (B, T))
    has_out = pos_bt >= 0
    safe = np.where(has_out, pos_bt, 0)
    target_bt = np.where(has_out, letters[np.take_along_axis(targets, safe, 1)], None)
    pred_bt = np.where(has_out, letters[np.take_along_axis(preds, safe, 1)], None)
    base_cats = pd.CategoricalDtype(list(BASES))
    frame = pd.DataFrame(
        {
            "sequence": np.repeat(np.arange(B), T),
            "dna": np.repeat(np.array(["".join(letters[row]) for row in seqs]), T),
            "step": np.tile(np.arange(T), B),
            "position": pd.arrays.IntegerArray(safe.ravel().astype("int64"), ~has_out.ravel()),
            "token": tokens.ravel(),
            "input": pd.Categorical(token_labels[tokens.ravel()], categories=list(TOKEN_LABELS)),
            "target": pd.Categorical(target_bt.ravel(), dtype=base_cats),
            "predicted": pd.Categorical(pred_bt.ravel(), dtype=base_cats),
        }
    )
    for k in range(L):
        frame[f"x{k}"] = pd.Categorical(np.repeat(letters[seqs[:, k]], T), dtype=base_cats)
    return frame


def activation_frame(
    cache: Trace,
    names: Iterable[str] | str | None = None,
    *,
    sequences: Sequence[int] | None = None,
    steps: Sequence[int] | None = None,
    units: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Activations as a tidy long-format DataFrame, one row per value (the shape Altair wants).

    Columns:

    - ``sequence``: row of the batch (int); ``dna``: the input as a string
    - ``step``: LSTM step (int)
    - ``position``: output position emitted at this step (nullable ``Int64``;
      ``<NA>`` on the read steps of the delayed task)
    - ``token``: input token id; ``input``: its label (A, T, G, C, GO, BLANK)
    - ``target``: the right base for this step's output (``NaN`` if none);
      ``predicted``: the model's argmax base there
    - ``x0`` ... ``x{L-1}``: the input bases (what the model has to store)
    - ``unit``: unit index (for ``logits``/``probs``: the base code 0..3 = A, T, G, C)
    - ``quantity``: the internal's name (see :data:`NAMES`)
    - ``value``: the number

    ``names`` defaults to the unit-sized internals (:data:`UNIT_NAMES`);
    ``sequences``, ``steps`` and ``units`` select rows (for charts, keep the
    table under a few thousand rows).
    """
    if names is None:
        names = UNIT_NAMES
    elif isinstance(names, str):
        names = (names,)
    names = list(names)
    context = sequence_frame(cache)
    B, T = cache.batch_size, cache.n_steps
    seq_idx = np.arange(B) if sequences is None else np.asarray(sequences, dtype=int)
    step_idx = np.arange(T) if steps is None else np.asarray(steps, dtype=int)
    rows = (seq_idx[:, None] * T + step_idx[None, :]).ravel()
    context = context.iloc[rows].reset_index(drop=True)
    pieces = []
    for name in names:
        tensor = cache[name]
        size = tensor.shape[-1]
        unit_idx = np.arange(size) if units is None else np.asarray([u for u in units if u < size], dtype=int)
        values = tensor.detach().cpu().numpy()[np.ix_(seq_idx, step_idx, unit_idx)]  # (b, s, u)
        n_units = len(unit_idx)
        piece = context.loc[context.index.repeat(n_units)].reset_index(drop=True)
        piece["unit"] = np.tile(unit_idx, len(context))
        piece["quantity"] = name
        piece["value"] = values.reshape(-1).astype(float)
        pieces.append(piece)
    frame = pd.concat(pieces, ignore_index=True)
    frame["quantity"] = pd.Categorical(frame["quantity"], categories=names)
    return frame


def _reference_trace(model: RevCompLSTM, seqs: torch.Tensor | None, max_sequences: int = 4096) -> Trace:
    if seqs is None:
        seqs = analysis_sequences(model.task.length, max_sequences)
    return trace(model, seqs)
