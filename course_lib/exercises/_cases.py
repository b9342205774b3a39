"""Small float64 test values shared by the checks."""

from __future__ import annotations

import torch
from torch import Tensor

# --------------------------------------------------------------------------------------------------------
# Cases: float64, small, with values chosen so that each catalogued mistake changes the answer
# --------------------------------------------------------------------------------------------------------


def _t(*values: float) -> Tensor:
    return torch.tensor(values, dtype=torch.float64)


def _rand(seed: int, *shape: int, scale: float = 1.0) -> Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale


def _positive(seed: int, *shape: int, scale: float = 1.0) -> Tensor:
    return _rand(seed, *shape).abs() * scale + 0.01 * scale
