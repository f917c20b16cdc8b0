"""Ready-made interventions for :func:`revcomp.trace.trace`: replace, scale, zero or patch.

Each function returns an :class:`Intervention`, a hook ``hook(name, step,
tensor) -> tensor`` that edits one internal (any of
:data:`revcomp.trace.HOOKABLE_NAMES`: a gate, ``cell``, ``hidden`` or
``logits``) at chosen steps (``steps=None`` means every step). The trace then
reruns the rest of the sequence from the edited value::

    from revcomp.interventions import zero_unit, patch
    cache = trace(model, seqs, interventions=[zero_unit("hidden", unit=3, steps=[2, 3])])
    donor = trace(model, other_seqs)
    cache = trace(model, seqs, interventions=[patch("cell", donor, steps=[4])])

A unit may be one index or a list of indices. Values given to :func:`set_unit`
may be a number, a tensor broadcastable to ``(batch, n_units)``, or a callable
``value(step)`` returning one of those (for per-step means). Hooks edit the
trace's own buffers in place, so the cache shows the edited values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch

from revcomp.trace import HOOKABLE_NAMES, Trace

Value = float | torch.Tensor | Callable[[int], "float | torch.Tensor"]
"""A replacement value: a number, a tensor broadcastable to ``(batch, n_units)``, or ``value(step)``."""

Steps = int | Iterable[int] | None
"""Where an intervention acts: one step, several, or ``None`` for every step."""


def _steps(steps: int | Iterable[int] | None) -> frozenset[int] | None:
    if steps is None:
        return None
    if isinstance(steps, int):
        return frozenset([steps])
    return frozenset(int(s) for s in steps)


def _units(unit: int | Sequence[int] | None) -> list[int] | slice:
    if unit is None:
        return slice(None)
    if isinstance(unit, int):
        return [unit]
    return [int(u) for u in unit]


class Intervention:
    """A hook acting on internal ``name`` at ``steps`` (``None`` = every step).

    ``edit(step, tensor) -> tensor`` receives the ``(batch, size)`` value and
    returns the new value (it may edit in place and return its argument).
    ``trace`` reads the ``names`` and ``steps`` attributes to call the hook only
    where it acts.
    """

    def __init__(
        self,
        name: str,
        edit: Callable[[int, torch.Tensor], torch.Tensor],
        steps: Steps = None,
        description: str = "",
    ) -> None:
        if name not in HOOKABLE_NAMES:
            raise ValueError(f"can not intervene on {name!r}: choose from {', '.join(HOOKABLE_NAMES)}")
        self.name = name
        self.names = frozenset([name])
        self.steps = _steps(steps)
        self.edit = edit
        self.description = description or f"edit {name}"

    def __call__(self, name: str, step: int, tensor: torch.Tensor) -> torch.Tensor:
        if name != self.name or (self.steps is not None and step not in self.steps):
            return tensor
        return self.edit(step, tensor)

    def __repr__(self) -> str:
        where = "every step" if self.steps is None else f"steps {sorted(self.steps)}"
        return f"Intervention({self.description} at {where})"


def _check_units(tensor: torch.Tensor, units: list[int] | slice) -> None:
    if isinstance(units, list):
        size = tensor.shape[-1]
        for u in units:
            if not 0 <= u < size:
                raise ValueError(f"unit {u} out of range: this internal has units 0..{size - 1}")


def set_unit(name: str, unit: int | Sequence[int] | None, value: Value, steps: Steps = None) -> Intervention:
    """Replace ``unit`` (one index, a list, or ``None`` for all) of ``name`` by ``value``."""
    units = _units(unit)

    def edit(step: int, tensor: torch.Tensor) -> torch.Tensor:
        _check_units(tensor, units)
        v = value(step) if callable(value) else value
        if isinstance(v, torch.Tensor):
            v = v.to(dtype=tensor.dtype, device=tensor.device)
        tensor[:, units] = v
        return tensor

    return Intervention(name, edit, steps, f"set {name}[{unit}]")


def zero_unit(name: str, unit: int | Sequence[int] | None, steps: Steps = None) -> Intervention:
    """Set ``unit`` of ``name`` to zero at ``steps``."""
    intervention = set_unit(name, unit, 0.0, steps)
    intervention.description = f"zero {name}[{unit}]"
    return intervention


def scale_unit(
    name: str, unit: int | Sequence[int] | None, factor: float, steps: Steps = None
) -> Intervention:
    """Multiply ``unit`` of ``name`` by ``factor`` at ``steps``."""
    units = _units(unit)

    def edit(step: int, tensor: torch.Tensor) -> torch.Tensor:
        _check_units(tensor, units)
        tensor[:, units] = tensor[:, units] * factor
        return tensor

    return Intervention(name, edit, steps, f"scale {name}[{unit}] by {factor}")


def replace(name: str, fn: Callable[[int, torch.Tensor], torch.Tensor], steps: Steps = None) -> Intervention:
    """A general edit: ``fn(step, tensor) -> new tensor`` on the whole ``(batch, size)`` value."""
    return Intervention(name, fn, steps, f"replace {name}")


def patch(
    name: str,
    donor: Trace,
    steps: Steps = None,
    unit: int | Sequence[int] | None = None,
    donor_rows: torch.Tensor | None = None,
) -> Intervention:
    """Copy ``name`` (all units, or ``unit``) from a donor trace at ``steps``.

    The donor's batch must match the run's batch row for row (or have one row,
    which is broadcast). ``donor_rows`` picks donor rows per run row.
    """
    units = _units(unit)
    source = donor[name]
    if donor_rows is not None:
        source = source[donor_rows]

    def edit(step: int, tensor: torch.Tensor) -> torch.Tensor:
        _check_units(tensor, units)
        value = source[:, step, units]
        if value.shape[0] not in (1, tensor.shape[0]):
            raise ValueError(f"donor batch {value.shape[0]} does not match the run's batch {tensor.shape[0]}")
        tensor[:, units] = value.to(tensor.dtype)
        return tensor

    return Intervention(name, edit, steps, f"patch {name}[{unit if unit is not None else ':'}] from donor")


def patch_state(donor: Trace, steps: Steps, which: Iterable[str] = ("hidden", "cell")) -> list[Intervention]:
    """Patch the recurrent state (``hidden`` and/or ``cell``) from ``donor`` at ``steps``."""
    return [patch(name, donor, steps) for name in which]


def _orthonormal(basis: torch.Tensor) -> torch.Tensor:
    basis = basis.reshape(basis.shape[0], -1) if basis.dim() > 1 else basis.reshape(-1, 1)
    q, r = torch.linalg.qr(basis.double())
    keep = r.diagonal().abs() > 1e-9 * max(1.0, float(r.abs().max()))
    return q[:, keep]


def patch_subspace(name: str, donor: Trace, basis: torch.Tensor, steps: Steps = None) -> Intervention:
    """Replace only the component of ``name`` inside span(``basis``) by the donor's.

    ``basis`` is ``(size, r)`` (its columns span the subspace; they are
    orthonormalised here). The edit is ``x + P (x_donor - x)`` with ``P`` the
    orthogonal projector, so the component orthogonal to the subspace is kept.
    """
    q = _orthonormal(basis)
    source = donor[name]

    def edit(step: int, tensor: torch.Tensor) -> torch.Tensor:
        qq = q.to(tensor.dtype)
        delta = source[:, step].to(tensor.dtype) - tensor
        tensor += (delta @ qq) @ qq.t()
        return tensor

    return Intervention(name, edit, steps, f"patch {name} along a {q.shape[1]}-d subspace from donor")


def set_direction(
    name: str, direction: torch.Tensor, value: Value = 0.0, steps: Steps = None
) -> Intervention:
    """Set the component of ``name`` along ``direction`` (normalised here) to ``value``.

    With ``direction`` a unit vector ``e_k`` this is the same as ``set_unit(name, k, value)``;
    with a random direction it is the control for a single-unit ablation.
    """
    u = direction.double().reshape(-1)
    u = u / u.norm()

    def edit(step: int, tensor: torch.Tensor) -> torch.Tensor:
        uu = u.to(tensor.dtype)
        v = value(step) if callable(value) else value
        if isinstance(v, torch.Tensor):
            v = v.to(tensor.dtype).reshape(-1, 1)
        coord = (tensor @ uu).unsqueeze(-1)
        tensor += (v - coord) * uu
        return tensor

    return Intervention(name, edit, steps, f"set {name} along a direction")


def clamp_saturated(name: str, low: float = 0.1, high: float = 0.9, steps: Steps = None) -> Intervention:
    """Round a gate to exactly 0 where it is below ``low`` and to 1 where above ``high``.

    For ``cell_candidate`` (a tanh, range -1..1) values below ``-high`` become -1
    and above ``high`` become 1.
    """

    def edit(step: int, tensor: torch.Tensor) -> torch.Tensor:
        if name == "cell_candidate":
            tensor[tensor > high] = 1.0
            tensor[tensor < -high] = -1.0
        else:
            tensor[tensor > high] = 1.0
            tensor[tensor < low] = 0.0
        return tensor

    return Intervention(name, edit, steps, f"clamp saturated {name} (<{low} -> 0, >{high} -> 1)")
