"""A RevCompLSTM with hand-set weights, whose units have known jobs (test helper).

Units (``H = 5``), every gate saturated (pre-activations of +-20) unless said:

0. ``clock``: i = f = o = 1, g = tanh(0.2) whatever the input, so
   ``c_t = (t + 1) tanh(0.2)``: a pure function of the step.
1. ``copier``: i = o = 1, f = 0, g = tanh(w[token]) with
   ``w = (-2, -0.7, 0.7, 2)`` for A, T, G, C and 0 for GO/BLANK: a pure function
   of the current input, with the same mean (0) at every step.
2. ``store x0``: like the copier, but its input gate is open only while the
   clock is still 0 (step 0) and its forget gate is 1: it holds ``g(x0)``.
3. ``unread``: a second copier, but nothing reads it -- zero column in the
   readout and in ``weight_hh``.
4. ``inert``: every weight zero: ``c = h = 0`` always.

The readout reads unit 2 only, as a nearest-centroid decoder of the stored
value mapped to the complement: at every output step the model says
``complement(x0)``. So output position ``L-1`` (which needs ``x0``) is always
right, and every other position is right 1/4 of the time over all inputs.
"""

from __future__ import annotations

import math

import torch

from revcomp.model import Config, RevCompLSTM

BASE_WEIGHTS = (-2.0, -0.7, 0.7, 2.0)
CLOCK, COPIER, STORE, UNREAD, INERT = range(5)
BIG = 20.0


def handset_model(task: str = "delayed", length: int = 3) -> RevCompLSTM:
    """The hand-set model described in the module docstring."""
    H = 5
    model = RevCompLSTM(Config(task=task, length=length, hidden_size=H))
    lstm = model.lstm
    n_in = model.task.input_size
    w_ih = torch.zeros(4 * H, n_in)
    w_hh = torch.zeros(4 * H, H)
    bias = torch.zeros(4 * H)

    def row(gate: int, unit: int) -> int:  # gate order i, f, g, o
        return gate * H + unit

    # 0: clock
    bias[row(0, CLOCK)] = BIG
    bias[row(1, CLOCK)] = BIG
    bias[row(2, CLOCK)] = 0.2
    bias[row(3, CLOCK)] = BIG
    # 1 and 3: copiers of the current base
    for unit in (COPIER, UNREAD):
        bias[row(0, unit)] = BIG
        bias[row(1, unit)] = -BIG
        bias[row(3, unit)] = BIG
        for token, weight in enumerate(BASE_WEIGHTS):
            w_ih[row(2, unit), token] = weight
    # 2: store x0 -- input gate open at step 0 only (the clock's h is 0 before step 0)
    bias[row(0, STORE)] = 10.0
    w_hh[row(0, STORE), CLOCK] = -200.0
    bias[row(1, STORE)] = BIG
    bias[row(3, STORE)] = BIG
    for token, weight in enumerate(BASE_WEIGHTS):
        w_ih[row(2, STORE), token] = weight
    # 4: inert -- nothing at all

    # Readout: nearest centroid on h[STORE], answering the complement of the stored base.
    stored_value = [math.tanh(math.tanh(w)) for w in BASE_WEIGHTS]
    readout_w = torch.zeros(4, H)
    readout_b = torch.zeros(4)
    scale = 10.0
    for cls in range(4):
        v = stored_value[cls ^ 1]  # class cls is right when the stored base is its complement
        readout_w[cls, STORE] = 2 * v * scale
        readout_b[cls] = -(v**2) * scale
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(w_ih)
        lstm.weight_hh_l0.copy_(w_hh)
        lstm.bias_ih_l0.copy_(bias)
        lstm.bias_hh_l0.zero_()
        model.readout.weight.copy_(readout_w)
        model.readout.bias.copy_(readout_b)
    model.eval()
    return model
