"""Exercise of notebook 08: clip a gradient by its norm."""

from __future__ import annotations

from collections.abc import Callable

from course_lib.checking import CheckResult, Exercise, Mistake, run_check
from course_lib.exercises._cases import _rand, _t

__all__ = ["CLIP_BY_NORM", "check_clip_by_norm"]


def _scaled(grad, max_norm, norm, *, always=False, upside_down=False):
    factor = norm / max_norm if upside_down else max_norm / norm
    return grad * (factor if always else min(1.0, float(factor)))


def _clip_ref(grad, max_norm):
    return (_scaled(grad, max_norm, grad.norm()),)


CLIP_BY_NORM = Exercise(
    name="clip_by_norm",
    params=("grad", "max_norm"),
    outputs=("clipped gradient",),
    cases=(
        ("a long gradient, max_norm 1", (_t(3.0, 4.0), 1.0)),
        ("a short gradient, left alone", (_t(0.3, -0.4), 1.0)),
        ("a matrix, max_norm 2", (_rand(80, 3, 4, scale=2.0), 2.0)),
    ),
    reference=_clip_ref,
    mistakes=(
        Mistake(
            "every gradient is scaled to length max_norm, short ones too",
            lambda g, c: _scaled(g, c, g.norm(), always=True),
            "Clipping only shortens a gradient that is too long: multiply by min(1, max_norm / norm).",
        ),
        Mistake(
            "each entry was clipped on its own (clipping by value)",
            lambda g, c: g.clamp(-c, c),
            "Clipping by norm rescales the whole gradient and keeps its direction; clamping each entry changes "
            "the direction. Compute the norm of the whole gradient, grad.norm().",
        ),
        Mistake(
            "the norm is the sum of absolute values, not the Euclidean length",
            lambda g, c: _scaled(g, c, g.abs().sum()),
            "The norm is the Euclidean length: the square root of the sum of squares, grad.norm().",
        ),
        Mistake(
            "the square root is missing (the norm is squared)",
            lambda g, c: _scaled(g, c, (g**2).sum()),
            "Take the square root of the sum of squares: grad.norm(), or (grad**2).sum().sqrt().",
        ),
        Mistake(
            "max_norm is missing: a long gradient was scaled to length 1",
            lambda g, c: g / g.norm() if g.norm() > c else g,
            "A long gradient should end with length max_norm: multiply by max_norm / norm.",
        ),
        Mistake(
            "the ratio is upside down (norm / max_norm)",
            lambda g, c: _scaled(g, c, g.norm(), upside_down=True),
            "The factor is max_norm / norm, which is below 1 exactly when the gradient is too long.",
        ),
    ),
    hint="compute the gradient's length, grad.norm(); if it is above max_norm, multiply grad by max_norm / length.",
    read_only={
        "grad": "Return a new tensor (grad * factor) rather than changing the gradient in place: the check, like "
        "a caller logging gradient norms, still needs the original.",
    },
)


def check_clip_by_norm(fn: Callable) -> CheckResult:
    """Check ``fn(grad, max_norm) -> clipped grad``: ``grad`` rescaled to length ``max_norm`` if it is longer."""
    return run_check(CLIP_BY_NORM, fn)


