"""Exercises of notebooks 04 and 05: Adagrad, RMSprop, Adam and Yogi's second moment."""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib import optim
from course_lib.checking import FLOAT64_ATOL, FLOAT64_RTOL, CheckResult, Exercise, Mistake, run_check
from course_lib.exercises._cases import _positive, _rand, _t

# --------------------------------------------------------------------------------------------------------
# Adagrad and RMSprop
# --------------------------------------------------------------------------------------------------------

_GRAD_IS_THE_CALLERS = {
    "grad": "grad belongs to the caller, who may still need it: square it into a new tensor (grad**2 or "
    "grad * grad), not with grad.pow_(2) or grad **= 2, and keep the state in its own tensor."
}
_PRECISE = {"read_only": _GRAD_IS_THE_CALLERS, "rtol": FLOAT64_RTOL, "atol": FLOAT64_ATOL}


def _adagrad_ref(w, grad, state_sum, lr, eps):
    w, state_sum = w.clone(), state_sum.clone()
    optim.adagrad_update(w, grad, state_sum, 1, lr=lr, eps=eps)
    return w, state_sum


ADAGRAD = Exercise(
    name="adagrad_step",
    params=("w", "grad", "state_sum", "lr", "eps"),
    outputs=("new w", "new state_sum"),
    cases=(
        ("the first step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.0, 0.0, 0.0), 0.5, 1e-10)),
        ("a later step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.5, 2.0, 0.1), 0.5, 1e-10)),
        (
            "small gradients, large eps",
            (_rand(6, 2, 3), _rand(7, 2, 3, scale=0.01), _positive(8, 2, 3, scale=1e-4), 0.1, 1e-2),
        ),
    ),
    reference=_adagrad_ref,
    mistakes=(
        Mistake(
            "eps is inside the square root",
            lambda w, g, s, lr, eps: (w - lr * g / ((s2 := s + g * g) + eps).sqrt(), s2),
            "Notebook 04 (where eps goes): PyTorch adds eps outside, sqrt(state_sum) + eps; Keras 3 (and tf.keras "
            "from TensorFlow 2.11) puts it inside, and for tiny gradients the two behave very differently. This "
            "course follows PyTorch.",
        ),
        Mistake(
            "the gradient is not squared",
            lambda w, g, s, lr, eps: (w - lr * g / ((s2 := s + g).sqrt() + eps), s2),
            "The sum accumulates squared gradients: state_sum + grad**2.",
        ),
        Mistake(
            "the square root is missing",
            lambda w, g, s, lr, eps: (w - lr * g / ((s2 := s + g * g) + eps), s2),
            "Divide by sqrt(state_sum) + eps.",
        ),
        Mistake(
            "the step uses the old sum",
            lambda w, g, s, lr, eps: (w - lr * g / (s.sqrt() + eps), s + g * g),
            "Add grad**2 to the sum first, then divide by its root.",
        ),
        Mistake(
            "the sum is replaced, not accumulated",
            lambda w, g, s, lr, eps: (w - lr * g / ((g * g).sqrt() + eps), g * g),
            "Adagrad never forgets: state_sum + grad**2.",
        ),
        Mistake(
            "the sign of the step is flipped",
            lambda w, g, s, lr, eps: (w + lr * g / ((s2 := s + g * g).sqrt() + eps), s2),
            "Move against the gradient.",
        ),
        Mistake(
            "lr is missing",
            lambda w, g, s, lr, eps: (w - g / ((s2 := s + g * g).sqrt() + eps), s2),
            "Multiply the step by lr.",
        ),
        Mistake(
            "eps is missing (or a fixed eps of your own replaces the eps you were given)",
            lambda w, g, s, lr, eps: (w - lr * g / (s2 := s + g * g).sqrt(), s2),
            "Use the eps passed in: w - lr * grad / (sqrt(state_sum) + eps). It matters where the sum is tiny.",
        ),
        Mistake(
            "the old sum is returned (the step used the new one, but the state was not updated)",
            lambda w, g, s, lr, eps: (w - lr * g / ((s + g * g).sqrt() + eps), s),
            "Return the new sum, state_sum + grad**2, so that the next step remembers this gradient.",
        ),
        Mistake(
            "the square root is stored as the new state_sum",
            lambda w, g, s, lr, eps: (w - lr * g / ((s + g * g).sqrt() + eps), (s + g * g).sqrt()),
            "state_sum is the sum of squared gradients itself; take the root only in the step.",
        ),
        Mistake(
            "the square is taken after adding: (state_sum + grad)**2",
            lambda w, g, s, lr, eps: (w - lr * g / ((s2 := (s + g) ** 2).sqrt() + eps), s2),
            "Square the gradient alone: state_sum + grad**2.",
        ),
    ),
    hint="state_sum grows by grad**2; then w - lr * grad / (sqrt(state_sum) + eps).",
    **_PRECISE,
)


def check_adagrad_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, state_sum, lr, eps) -> (new w, new state_sum)``, one Adagrad step (no lr decay)."""
    return run_check(ADAGRAD, fn)


def _rmsprop_ref(w, grad, sq_avg, lr, alpha, eps):
    w, sq_avg = w.clone(), sq_avg.clone()
    optim.rmsprop_update(w, grad, sq_avg, None, None, lr=lr, alpha=alpha, eps=eps)
    return w, sq_avg


def _rms(s, g, a):
    return a * s + (1 - a) * g * g


RMSPROP = Exercise(
    name="rmsprop_step",
    params=("w", "grad", "sq_avg", "lr", "alpha", "eps"),
    outputs=("new w", "new sq_avg"),
    cases=(
        ("the first step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.0, 0.0, 0.0), 0.01, 0.9, 1e-8)),
        ("a later step", (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.5, 2.0, 0.1), 0.01, 0.99, 1e-8)),
        (
            "small gradients, large eps",
            (_rand(9, 2, 3), _rand(10, 2, 3, scale=0.01), _positive(11, 2, 3, scale=1e-4), 0.01, 0.8, 1e-2),
        ),
    ),
    reference=_rmsprop_ref,
    mistakes=(
        Mistake(
            "eps is inside the square root",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := _rms(s, g, a)) + eps).sqrt(), s2),
            "Notebook 04 (where eps goes): PyTorch adds eps outside, sqrt(sq_avg) + eps; Keras 3 (and tf.keras from "
            "TensorFlow 2.11) puts it inside, and for tiny gradients the two behave very differently.",
        ),
        Mistake(
            "the gradient is not squared",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := a * s + (1 - a) * g).abs().sqrt() + eps), s2),
            "Average the squared gradient: alpha * sq_avg + (1 - alpha) * grad**2.",
        ),
        Mistake(
            "the gradient is not squared (so sq_avg can be negative, and its root NaN)",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := a * s + (1 - a) * g).sqrt() + eps), s2),
            "Average the squared gradient: alpha * sq_avg + (1 - alpha) * grad**2, never negative.",
        ),
        Mistake(
            "alpha is on the wrong term",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := (1 - a) * s + a * g * g).sqrt() + eps), s2),
            "alpha weighs the old average: alpha * sq_avg + (1 - alpha) * grad**2.",
        ),
        Mistake(
            "the square root is missing",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := _rms(s, g, a)) + eps), s2),
            "Divide by sqrt(sq_avg) + eps.",
        ),
        Mistake(
            "the step uses the old average",
            lambda w, g, s, lr, a, eps: (w - lr * g / (s.sqrt() + eps), _rms(s, g, a)),
            "Update sq_avg first, then divide by its root.",
        ),
        Mistake(
            "the squared gradients are summed (that is Adagrad)",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := s + g * g).sqrt() + eps), s2),
            "RMSprop keeps a moving average that forgets: alpha * sq_avg + (1 - alpha) * grad**2.",
        ),
        Mistake(
            "lr is missing",
            lambda w, g, s, lr, a, eps: (w - g / ((s2 := _rms(s, g, a)).sqrt() + eps), s2),
            "Multiply the step by lr.",
        ),
        Mistake(
            "the sign of the step is flipped",
            lambda w, g, s, lr, a, eps: (w + lr * g / ((s2 := _rms(s, g, a)).sqrt() + eps), s2),
            "Move against the gradient.",
        ),
        Mistake(
            "eps is missing (or a fixed eps of your own replaces the eps you were given)",
            lambda w, g, s, lr, a, eps: (w - lr * g / (s2 := _rms(s, g, a)).sqrt(), s2),
            "Use the eps passed in: w - lr * grad / (sqrt(sq_avg) + eps). It matters where sq_avg is tiny.",
        ),
        Mistake(
            "the old average is returned (the step used the new one, but the state was not updated)",
            lambda w, g, s, lr, a, eps: (w - lr * g / (_rms(s, g, a).sqrt() + eps), s),
            "Return the new sq_avg so that the next step remembers this gradient.",
        ),
        Mistake(
            "(1 - alpha) is inside the square: ((1 - alpha) * grad)**2",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := a * s + ((1 - a) * g) ** 2).sqrt() + eps), s2),
            "Square the gradient, then weigh it: alpha * sq_avg + (1 - alpha) * grad**2.",
        ),
        Mistake(
            "alpha is on the wrong term and eps is inside the square root",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := (1 - a) * s + a * g * g) + eps).sqrt(), s2),
            "Two things: alpha weighs the old average, alpha * sq_avg + (1 - alpha) * grad**2; and PyTorch adds "
            "eps outside the root, sqrt(sq_avg) + eps.",
        ),
        Mistake(
            "the old average is dropped: sq_avg = (1 - alpha) * grad**2",
            lambda w, g, s, lr, a, eps: (w - lr * g / ((s2 := (1 - a) * g * g).sqrt() + eps), s2),
            "The moving average carries the old one over: alpha * sq_avg + (1 - alpha) * grad**2 (the first step "
            "alone cannot tell, since sq_avg starts at 0).",
        ),
        Mistake(
            "the square root is stored as the new sq_avg",
            lambda w, g, s, lr, a, eps: (w - lr * g / (_rms(s, g, a).sqrt() + eps), _rms(s, g, a).sqrt()),
            "sq_avg is the average of squared gradients itself; take the root only in the step.",
        ),
    ),
    hint="sq_avg = alpha * sq_avg + (1 - alpha) * grad**2; then w - lr * grad / (sqrt(sq_avg) + eps).",
    **_PRECISE,
)


def check_rmsprop_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, sq_avg, lr, alpha, eps) -> (new w, new sq_avg)``, one RMSprop step (PyTorch's form)."""
    return run_check(RMSPROP, fn)


# --------------------------------------------------------------------------------------------------------
# Adam
# --------------------------------------------------------------------------------------------------------


def _adam_ref(w, grad, m, v, t, lr, beta1, beta2, eps):
    w, m, v = w.clone(), m.clone(), v.clone()
    optim.adam_update(w, grad, m, v, None, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return w, m, v


def _adam_variant(
    *,
    correct_m=True,
    correct_v=True,
    t_shift=0,
    eps_inside=False,
    square=True,
    swap_betas=False,
    old_moments=False,
    sqrt=True,
    sign=-1,
    lr_scale=True,
    abs_root=True,
    correction="1 - beta**t",
    return_hats=False,
):
    """Adam with one thing changed: the catalogue of Adam mistakes is built from this one function."""

    def corrected(x, beta, t):
        if correction == "(1 - beta)**t":
            return x / (1 - beta) ** t
        if correction == "x / 1 - beta**t":  # the parentheses lost
            return x / 1 - beta**t
        return x / (1 - beta**t)

    def step(w, g, m, v, t, lr, b1, b2, eps):
        g2 = g * g if square else g
        m_new = (1 - b1) * m + b1 * g if swap_betas else b1 * m + (1 - b1) * g
        v_new = (1 - b2) * v + b2 * g2 if swap_betas else b2 * v + (1 - b2) * g2
        mm, vv = (m, v) if old_moments else (m_new, v_new)
        tt = t + t_shift
        m_hat = corrected(mm, b1, tt) if correct_m else mm
        v_hat = corrected(vv, b2, tt) if correct_v else vv
        root_v = v_hat.abs().sqrt() if abs_root else v_hat.sqrt()
        root = (v_hat + eps).sqrt() if eps_inside else (root_v if sqrt else v_hat) + eps
        new_w = w + sign * (lr if lr_scale else 1.0) * m_hat / root
        return (new_w, m_hat, v_hat) if return_hats else (new_w, m_new, v_new)

    return step


def _adam_paper_efficient(w, g, m, v, t, lr, b1, b2, eps):
    """Kingma and Ba's faster form (their section 2): the corrections folded into lr, eps added to sqrt(v)."""
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    lr_t = lr * (1 - b2**t) ** 0.5 / (1 - b1**t)
    return w - lr_t * m / (v.sqrt() + eps), m, v


ADAM = Exercise(
    name="adam_step",
    params=("w", "grad", "m", "v", "t", "lr", "beta1", "beta2", "eps"),
    outputs=("new w", "new m", "new v"),
    cases=(
        (
            "step t=1",
            (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.0, 0.0, 0.0), _t(0.0, 0.0, 0.0), 1, 0.1, 0.9, 0.999, 1e-8),
        ),
        (
            "step t=5",
            (_t(1.0, -2.0, 0.5), _t(0.4, -1.0, 2.0), _t(0.2, -0.3, 0.6), _t(0.05, 0.2, 0.9), 5, 0.1, 0.8, 0.99, 1e-8),
        ),
        (
            "small gradients, large eps, t=3",
            (
                _rand(12, 2, 3),
                _rand(13, 2, 3, scale=0.01),
                _rand(14, 2, 3, scale=0.01),
                _positive(15, 2, 3, scale=1e-4),
                3,
                0.01,
                0.7,
                0.9,
                1e-2,
            ),
        ),
    ),
    reference=_adam_ref,
    mistakes=(
        Mistake(
            "there is no bias correction",
            _adam_variant(correct_m=False, correct_v=False),
            "Divide m by (1 - beta1**t) and v by (1 - beta2**t) before using them. Both start at zero, so early "
            "on they are too small; notebook 05 showed that uncorrected, the first step is "
            "(1 - beta1) / sqrt(1 - beta2) = 3.16 times lr at the default betas.",
        ),
        Mistake(
            "t is counted from 0 in the bias correction (1 - beta**(t-1))",
            _adam_variant(t_shift=-1),
            "t counts from 1 here: use 1 - beta1**t and 1 - beta2**t (at t=1 a count from 0 divides by zero).",
        ),
        Mistake(
            "the bias correction uses t+1",
            _adam_variant(t_shift=1),
            "t is already the number of this step (1 at the first): use 1 - beta1**t.",
        ),
        Mistake("only m is bias-corrected", _adam_variant(correct_v=False), "Correct v as well: v / (1 - beta2**t)."),
        Mistake("only v is bias-corrected", _adam_variant(correct_m=False), "Correct m as well: m / (1 - beta1**t)."),
        Mistake(
            "eps is inside the square root",
            _adam_variant(eps_inside=True),
            "PyTorch adds eps outside, sqrt(v_hat) + eps (notebook 04 showed how differently the two behave "
            "for tiny gradients).",
        ),
        Mistake(
            "the gradient is not squared in v",
            _adam_variant(square=False),
            "v averages squared gradients: beta2 * v + (1 - beta2) * grad**2.",
        ),
        Mistake(
            "each beta is on the wrong term",
            _adam_variant(swap_betas=True),
            "beta weighs the old average: m = beta1 * m + (1 - beta1) * grad (and the same for v).",
        ),
        Mistake(
            "the step uses the old m and v",
            _adam_variant(old_moments=True),
            "Update m and v first, then step with the new (corrected) ones.",
        ),
        Mistake("the square root of v is missing", _adam_variant(sqrt=False), "Divide by sqrt(v_hat) + eps."),
        Mistake("the sign of the step is flipped", _adam_variant(sign=+1), "Move against m: w - lr * m_hat / ..."),
        Mistake(
            "the gradient is not squared in v (so v can be negative, and its root NaN)",
            _adam_variant(square=False, abs_root=False),
            "v averages squared gradients, which are never negative: beta2 * v + (1 - beta2) * grad**2.",
        ),
        Mistake(
            "there is no bias correction and eps is inside the square root",
            _adam_variant(correct_m=False, correct_v=False, eps_inside=True),
            "Two things: divide m by (1 - beta1**t) and v by (1 - beta2**t); and add eps outside the root, "
            "sqrt(v_hat) + eps, as PyTorch does.",
        ),
        Mistake(
            "the bias correction lost its parentheses: m / 1 - beta1**t",
            _adam_variant(correction="x / 1 - beta**t", abs_root=False),
            "Python reads m / 1 - beta1**t as m - beta1**t: write m / (1 - beta1**t), and the same for v.",
        ),
        Mistake(
            "the bias correction is (1 - beta)**t, not 1 - beta**t",
            _adam_variant(correction="(1 - beta)**t"),
            "The power belongs to beta alone: 1 - beta1**t (it is the same only at t = 1).",
        ),
        Mistake(
            "you returned the corrected m_hat and v_hat as the new m and v",
            _adam_variant(return_hats=True),
            "Notebook 05 asks for the uncorrected averages, as the optimizer stores them; the correction is "
            "applied afresh at every step, only for the step itself.",
        ),
        Mistake(
            "this is Keras's form, lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)",
            _adam_paper_efficient,
            "As notebook 05 showed, Keras (and the form at the end of Kingma and Ba's section 2) adds eps before "
            "the bias correction, which acts like eps / sqrt(1 - beta2**t) in PyTorch's form. This exercise "
            "follows PyTorch: w - lr * m_hat / (sqrt(v_hat) + eps).",
        ),
        Mistake("lr is missing", _adam_variant(lr_scale=False), "Multiply the step by lr."),
    ),
    hint="m and v are moving averages of grad and grad**2; bias-correct both with t (from 1); then "
    "w - lr * m_hat / (sqrt(v_hat) + eps).",
    **_PRECISE,
)


def check_adam_step(fn: Callable) -> CheckResult:
    """Check ``fn(w, grad, m, v, t, lr, beta1, beta2, eps) -> (new w, new m, new v)``; t counts from 1."""
    return run_check(ADAM, fn)


# --------------------------------------------------------------------------------------------------------
# Yogi's second moment
# --------------------------------------------------------------------------------------------------------


def _yogi_v_ref(v, grad, beta2):
    w, m, v = torch.zeros_like(v), torch.zeros_like(v), v.clone()
    optim.yogi_update(w, grad, m, v, lr=0.0, beta2=beta2)
    return (v,)


YOGI_V = Exercise(
    name="yogi_second_moment",
    params=("v", "grad", "beta2"),
    outputs=("new v",),
    cases=(
        ("from v = 0 (the first step)", (_t(0.0, 0.0, 0.0), _t(0.4, -1.0, 2.0), 0.999)),
        ("v above and below grad**2", (_t(0.5, 0.01, 3.0, 0.2), _t(0.1, -1.0, 1.5, 0.3), 0.9)),
        ("v exactly equal to grad**2 in two places", (_t(0.25, 4.0, 1.0), _t(0.5, -2.0, 3.0), 0.8)),
        ("a matrix", (_positive(16, 2, 3), _rand(17, 2, 3), 0.99)),
    ),
    reference=_yogi_v_ref,
    mistakes=(
        Mistake(
            "this is Adam's update, v - (1 - beta2) * (v - grad**2)",
            lambda v, g, b2: v - (1 - b2) * (v - g * g),
            "Yogi keeps the direction of Adam's change but not its size: "
            "v - (1 - beta2) * sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "the sign is the wrong way round, sign(grad**2 - v)",
            lambda v, g, b2: v - (1 - b2) * torch.sign(g * g - v) * g * g,
            "v must move towards grad**2: subtract (1 - beta2) * sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "the sign term is missing (v always shrinks)",
            lambda v, g, b2: v - (1 - b2) * g * g,
            "The sign decides the direction: v - (1 - beta2) * sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "v always grows, v + (1 - beta2) * grad**2",
            lambda v, g, b2: v + (1 - b2) * g * g,
            "Where v is already above grad**2 it must fall: use sign(v - grad**2).",
        ),
        Mistake(
            "the sign compares v with grad, not grad**2",
            lambda v, g, b2: v - (1 - b2) * torch.sign(v - g) * g * g,
            "Compare v with the squared gradient: sign(v - grad**2).",
        ),
        Mistake(
            "sign(0) is taken as +1 (v changes when it equals grad**2)",
            lambda v, g, b2: v - (1 - b2) * torch.where(v >= g * g, 1.0, -1.0) * g * g,
            "As notebook 05 says, sign(0) = 0: where v equals grad**2 exactly, v stays put. torch.sign does that.",
        ),
        Mistake(
            "beta2 is in place of 1 - beta2",
            lambda v, g, b2: v - b2 * torch.sign(v - g * g) * g * g,
            "The change is scaled by (1 - beta2), a small number, as in Adam.",
        ),
        Mistake(
            "the gradient is not squared in the change",
            lambda v, g, b2: v - (1 - b2) * torch.sign(v - g * g) * g,
            "Both places take the squared gradient: sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "v is also multiplied by beta2 (half Adam, half Yogi)",
            lambda v, g, b2: b2 * v - (1 - b2) * torch.sign(v - g * g) * g * g,
            "Yogi changes v by an amount, it does not shrink it first: v - (1 - beta2) * sign(v - grad**2) * grad**2.",
        ),
        Mistake(
            "the sign is computed as x / |x|, which is 0/0 = NaN where v equals grad**2",
            lambda v, g, b2: v - (1 - b2) * ((d := v - g * g) / d.abs()) * g * g,
            "torch.sign(x) gives 0 at x = 0, where v should stay put; x / abs(x) gives NaN there.",
        ),
        Mistake(
            "the change is the sign alone, without grad**2",
            lambda v, g, b2: v - (1 - b2) * torch.sign(v - g * g),
            "The sign gives only the direction; the size is (1 - beta2) * grad**2.",
        ),
        Mistake(
            "sign(0) is taken as -1 (v changes when it equals grad**2)",
            lambda v, g, b2: v - (1 - b2) * torch.where(v > g * g, 1.0, -1.0) * g * g,
            "As notebook 05 says, sign(0) = 0: where v equals grad**2 exactly, v stays put. torch.sign does that.",
        ),
    ),
    hint="v - (1 - beta2) * sign(v - grad**2) * grad**2 (torch.sign); only the sign term differs from Adam.",
    read_only={
        "grad": "grad belongs to the caller, who may still need it: square it into a new tensor (grad**2), not "
        "in place.",
    },
    rtol=FLOAT64_RTOL,
    atol=FLOAT64_ATOL,
)


def check_yogi_second_moment(fn: Callable) -> CheckResult:
    """Check ``fn(v, grad, beta2) -> new v``, Yogi's second-moment update (Zaheer et al. 2018, Algorithm 2)."""
    return run_check(YOGI_V, fn)
