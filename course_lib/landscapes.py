"""Two-dimensional loss landscapes: functions of two weights whose shape we can see.

A real network has millions of weights, but the difficulties an optimizer meets there show up already in two
dimensions: a bowl (``quadratic``), a long narrow valley (``ravine``, ``rosenbrock``), flat plateaus and steep
walls (``beale``), several minima (``himmelblau``) and a saddle point (``saddle``). Each landscape here has its
value and its analytic gradient, vectorised over points of shape (..., 2): numpy in, numpy out; torch in, torch
out (and autograd works through ``value``). Introduced in notebook 01; used by every notebook after it.

>>> bowl = get("quadratic")
>>> bowl.value([1.0, 2.0]), bowl.grad([1.0, 2.0]).tolist()
(np.float64(2.5), [1.0, 4.0])
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = ["Landscape", "get", "names", "least_squares"]

Array = Any  # an np.ndarray or a torch.Tensor of shape (..., 2)


@dataclass(frozen=True)
class Landscape:
    """A function of two weights f(x, y), with what is needed to study an optimizer on it.

    ``minima``: the global minima (x, y); ``min_value``: f there. ``bounds``: ((x_lo, x_hi), (y_lo, y_hi)), a
    window that shows the interesting part. ``start``: a start point that makes a good demonstration.
    ``log_scale``: whether contour levels should be spaced logarithmically (for steep, many-decade functions).
    ``curvatures``: the Hessian's eigenvalues where it is constant (quadratics), else None.
    """

    name: str
    title: str
    formula: str
    _value: Callable[[Any, Any], Any] = field(repr=False)
    _grad: Callable[[Any, Any], tuple[Any, Any]] = field(repr=False)
    minima: tuple[tuple[float, float], ...]
    min_value: float
    bounds: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    log_scale: bool = False
    saddles: tuple[tuple[float, float], ...] = ()
    curvatures: tuple[float, float] | None = None
    axis_labels: tuple[str, str] = ("weight x", "weight y")

    def value(self, xy: Array) -> Array:
        """f at points of shape (..., 2); the result has shape (...)."""
        xy = _as_points(xy)
        return self._value(xy[..., 0], xy[..., 1])

    def grad(self, xy: Array) -> Array:
        """The gradient (df/dx, df/dy) at points of shape (..., 2), same shape and type back."""
        if isinstance(xy, torch.Tensor):
            return torch.stack(self._grad(*xy.unbind(-1)), dim=-1)
        xy = _as_points(xy)
        gx, gy = self._grad(xy[..., 0], xy[..., 1])
        return np.stack([gx, gy], axis=-1)

    @property
    def lipschitz(self) -> float | None:
        """L, the largest curvature, for quadratics: gradient descent converges exactly when lr < 2 / L."""
        return max(self.curvatures) if self.curvatures else None

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """X, Y and f(X, Y) on an n x n grid over ``bounds``, for contour plots."""
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return X, Y, self.value(np.stack([X, Y], axis=-1))


def _as_points(xy: Array) -> Array:
    if isinstance(xy, torch.Tensor):
        return xy
    xy = np.asarray(xy, dtype=float)
    if xy.shape[-1:] != (2,):
        raise ValueError(f"points must have shape (..., 2), got shape {xy.shape}")
    return xy


# --------------------------------------------------------------------------------------------------------
# The functions (plain arithmetic, so the same code serves numpy arrays and torch tensors)
# --------------------------------------------------------------------------------------------------------


def _quadratic(a: float, b: float, angle: float) -> tuple[Callable, Callable]:
    """f = (a u^2 + b v^2) / 2 in coordinates (u, v) rotated by `angle` degrees from (x, y)."""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))

    def value(x, y):
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (a * u * u + b * v * v)

    def grad(x, y):
        u, v = c * x + s * y, -s * x + c * y
        du, dv = a * u, b * v
        return c * du - s * dv, s * du + c * dv

    return value, grad


# Written with the number on the right of each subtraction (x - 1, not 1 - x): the same maths, and about
# twice as fast on small torch tensors, where `number - tensor` takes a slower path.


def _rosenbrock_value(x, y):
    return (x - 1) ** 2 + 100 * (y - x * x) ** 2


def _rosenbrock_grad(x, y):
    valley = y - x * x
    return 2 * (x - 1) - 400 * x * valley, 200 * valley


def _beale_terms(x, y):
    xy = x * y
    return xy - x + 1.5, xy * y - x + 2.25, xy * y * y - x + 2.625


def _beale_value(x, y):
    t1, t2, t3 = _beale_terms(x, y)
    return t1 * t1 + t2 * t2 + t3 * t3


def _beale_grad(x, y):
    t1, t2, t3 = _beale_terms(x, y)
    gx = 2 * t1 * (y - 1) + 2 * t2 * (y * y - 1) + 2 * t3 * (y * y * y - 1)
    gy = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y * y
    return gx, gy


def _himmelblau_value(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def _himmelblau_grad(x, y):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def _saddle_value(x, y):
    return 0.5 * x * x + 0.25 * y**4 - 0.5 * y * y


def _saddle_grad(x, y):
    return x, y**3 - y


# --------------------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------------------


def quadratic(a: float = 1.0, b: float = 1.0) -> Landscape:
    """The bowl f = (a x^2 + b y^2) / 2: curvatures a and b, so L = max(a, b)."""
    value, grad = _quadratic(a, b, 0.0)
    return Landscape(
        name="quadratic",
        title="Quadratic bowl",
        formula=f"f(x, y) = ({a:g} x² + {b:g} y²) / 2",
        _value=value,
        _grad=grad,
        minima=((0.0, 0.0),),
        min_value=0.0,
        bounds=((-2.5, 2.5), (-2.5, 2.5)),
        start=(-2.0, 1.5),
        curvatures=(a, b),
    )


def ravine(condition: float = 20.0, angle: float = 0.0) -> Landscape:
    """A long narrow valley: f = 0.1 u^2 + 0.1 * condition * v^2, curvatures 0.2 and 0.2 * condition.

    ``condition`` is the condition number (largest over smallest curvature). ``angle`` rotates the valley:
    at 0 it lies along the x axis, where per-coordinate methods (Adagrad, RMSprop, Adam) have it easy.
    """
    if not (isinstance(condition, int | float) and condition >= 1 and math.isfinite(condition)):
        raise ValueError(f"condition must be a finite number >= 1, got {condition!r}")
    value, grad = _quadratic(0.2, 0.2 * condition, angle)
    rotation = f", rotated {angle:g} degrees" if angle else ""
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    u0, v0 = (-5.0, -2.0) if not angle else (-5.0, -1.5)  # along the valley, and a little up its wall
    return Landscape(
        name="ravine",
        title=f"Ravine (condition number {condition:g}{rotation})",
        formula=f"f = 0.1 u² + {0.1 * condition:g} v²{rotation}",
        _value=value,
        _grad=grad,
        minima=((0.0, 0.0),),
        min_value=0.0,
        bounds=((-6.0, 6.0), (-3.0, 3.0)) if not angle else ((-6.0, 6.0), (-6.0, 6.0)),
        start=(c * u0 - s * v0, s * u0 + c * v0),
        curvatures=(0.2, 0.2 * condition),
    )


def rosenbrock() -> Landscape:
    """Rosenbrock's banana valley (1960): easy to find the valley, slow to follow its curved floor to (1, 1)."""
    return Landscape(
        name="rosenbrock",
        title="Rosenbrock",
        formula="f(x, y) = (1 - x)² + 100 (y - x²)²",
        _value=_rosenbrock_value,
        _grad=_rosenbrock_grad,
        minima=((1.0, 1.0),),
        min_value=0.0,
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.2, 1.5),
        log_scale=True,
    )


def beale() -> Landscape:
    """Beale's function: flat plateaus beside steep walls, minimum at (3, 0.5)."""
    return Landscape(
        name="beale",
        title="Beale",
        formula="f = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²",
        _value=_beale_value,
        _grad=_beale_grad,
        minima=((3.0, 0.5),),
        min_value=0.0,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.4),
        log_scale=True,
    )


def himmelblau() -> Landscape:
    """Himmelblau's function: four minima, all with f = 0; which one an optimizer finds depends on the start."""
    return Landscape(
        name="himmelblau",
        title="Himmelblau",
        formula="f(x, y) = (x² + y - 11)² + (x + y² - 7)²",
        _value=_himmelblau_value,
        _grad=_himmelblau_grad,
        minima=(
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.2831859912861696),
            (3.5844283403304917, -1.8481265269644036),
        ),
        min_value=0.0,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=(-0.3, -0.9),
        log_scale=True,
    )


def saddle() -> Landscape:
    """A saddle point at the origin between two minima at (0, +1) and (0, -1): f = x^2/2 + y^4/4 - y^2/2.

    The gradient vanishes at the saddle too; a start exactly on the line y = 0 never leaves it, and a start
    close to it leaves only slowly.
    """
    return Landscape(
        name="saddle",
        title="Saddle point",
        formula="f(x, y) = x²/2 + y⁴/4 - y²/2",
        _value=_saddle_value,
        _grad=_saddle_grad,
        minima=((0.0, 1.0), (0.0, -1.0)),
        min_value=-0.25,
        bounds=((-2.0, 2.0), (-1.6, 1.6)),
        start=(-1.8, 0.01),
        saddles=((0.0, 0.0),),
    )


def least_squares(
    features: Any, targets: Any, *, name: str = "least squares", axis_names: tuple[str, str] = ("w1", "w2")
) -> Landscape:
    """The mean squared error of a linear model with two weights, as a landscape over those two weights.

    ``features`` has shape (n, 2) (put a column of ones in to learn an intercept) and ``targets`` shape (n,).
    The loss f(w) = mean((features @ w - targets)^2) is a quadratic: f(w) = w.A w - 2 b.w + c with
    A = X'X / n, b = X'y / n and c = y'y / n, so the value and the gradient 2 (A w - b) need only those six
    numbers and work for numpy arrays and torch tensors alike. Its Hessian is 2A: correlated features give it
    a large condition number, a ravine. Introduced in notebook 01.
    """
    X = np.asarray(features, dtype=float)
    y = np.asarray(targets, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"features must have shape (n, 2) and targets shape (n,), got {X.shape} and {y.shape}")
    n = len(y)
    (a11, a12), (_, a22) = X.T @ X / n
    b1, b2 = X.T @ y / n
    c = float(y @ y / n)

    def value(w1, w2):
        return a11 * w1 * w1 + 2 * a12 * w1 * w2 + a22 * w2 * w2 - 2 * (b1 * w1 + b2 * w2) + c

    def grad(w1, w2):
        return 2 * (a11 * w1 + a12 * w2 - b1), 2 * (a12 * w1 + a22 * w2 - b2)

    best = np.linalg.solve(np.array([[a11, a12], [a12, a22]]), np.array([b1, b2]))
    curvatures = tuple(float(v) for v in sorted(np.linalg.eigvalsh(2 * np.array([[a11, a12], [a12, a22]]))))
    reach = 1.5 * max(1.0, float(np.abs(best).max()))
    return Landscape(
        name=name,
        title=name[0].upper() + name[1:],
        formula=f"f({axis_names[0]}, {axis_names[1]}) = mean((prediction - target)²)",
        _value=value,
        _grad=grad,
        minima=((float(best[0]), float(best[1])),),
        min_value=float(value(best[0], best[1])),
        bounds=((best[0] - reach, best[0] + reach), (best[1] - reach, best[1] + reach)),
        start=(float(best[0] - 0.8 * reach), float(best[1] + 0.6 * reach)),
        curvatures=curvatures,
        axis_labels=(f"weight {axis_names[0]}", f"weight {axis_names[1]}"),
    )


_CATALOGUE: dict[str, Callable[..., Landscape]] = {
    "quadratic": quadratic,
    "ravine": ravine,
    "rosenbrock": rosenbrock,
    "beale": beale,
    "himmelblau": himmelblau,
    "saddle": saddle,
}


def names() -> list[str]:
    """The landscapes ``get`` knows."""
    return list(_CATALOGUE)


def get(name: str | Landscape, **params: Any) -> Landscape:
    """A landscape by name; ``params`` set its shape where it has any (``get("ravine", condition=50)``)."""
    if isinstance(name, Landscape):
        if params:
            raise ValueError("parameters can only be given with a landscape's name, not with a Landscape")
        return name
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in _CATALOGUE:
        raise ValueError(f"unknown landscape {name!r}; the known ones are: {', '.join(_CATALOGUE)}")
    factory = _CATALOGUE[key]
    accepted = list(inspect.signature(factory).parameters)
    unknown = [p for p in params if p not in accepted]
    if unknown:
        takes = f"it takes: {', '.join(accepted)}" if accepted else "it takes none"
        raise ValueError(f"the {key!r} landscape has no parameter {unknown[0]!r}; {takes}")
    return factory(**params)
