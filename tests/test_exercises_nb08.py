"""The checks of notebook 08's exercises, clip_by_norm and scaled_lr, have no holes: learner-style wrong versions
are rejected and named, correct alternatives pass, every catalogue entry is reached, every case is needed, and the
references agree with ``torch.nn.utils.clip_grad_norm_`` and with the schedule notebook 08's runs use."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from course_lib import exercises, solutions
from course_lib import mnist1d_experiments as mx
from course_lib.checking import run_check

EX = exercises.CLIP_BY_NORM


def clip_always(grad, max_norm):
    return grad * max_norm / torch.linalg.norm(grad)


def clip_by_value(grad, max_norm):
    return torch.clamp(grad, min=-max_norm, max=max_norm)


def clip_l1(grad, max_norm):
    norm = grad.abs().sum()
    return grad * max_norm / norm if norm > max_norm else grad


def clip_no_sqrt(grad, max_norm):
    norm = (grad * grad).sum()
    if norm > max_norm:
        grad = grad * (max_norm / norm)
    return grad


def clip_to_unit(grad, max_norm):
    norm = grad.norm()
    if norm > max_norm:
        return grad / norm
    return grad


def clip_upside_down(grad, max_norm):
    return grad * min(1.0, (grad.norm() / max_norm).item())


def clip_in_place(grad, max_norm):
    grad.mul_(min(1.0, max_norm / grad.norm().item()))
    return grad


def clip_stub(grad, max_norm):
    raise NotImplementedError


WRONG = [
    (clip_always, "It looks like every gradient is scaled to length max_norm, short ones too"),
    (clip_by_value, "It looks like each entry was clipped on its own (clipping by value)"),
    (clip_l1, "It looks like the norm is the sum of absolute values"),
    (clip_no_sqrt, "It looks like the square root is missing"),
    (clip_to_unit, "It looks like max_norm is missing"),
    (clip_upside_down, "It looks like the ratio is upside down"),
    (clip_in_place, "clip_by_norm changed grad in place"),
]


def clip_torch_way(grad, max_norm):
    factor = torch.clamp(max_norm / (grad.norm() + 1e-6), max=1.0)  # clip_grad_norm_'s formula, with its 1e-6
    return grad * factor


def clip_with_where(grad, max_norm):
    norm = grad.pow(2).sum().sqrt()
    return torch.where(norm > max_norm, grad * max_norm / norm, grad)


RIGHT = [solutions.clip_by_norm, clip_torch_way, clip_with_where]


@pytest.mark.parametrize("fn, says", WRONG, ids=[fn.__name__ for fn, _ in WRONG])
def test_wrong_versions_are_rejected_and_named(fn, says):
    result = exercises.check_clip_by_norm(fn)
    assert not result.passed and says in result.message, result.message
    assert "Traceback" not in result.message


@pytest.mark.parametrize("fn", RIGHT, ids=[fn.__name__ for fn in RIGHT])
def test_correct_alternatives_pass(fn):
    result = exercises.check_clip_by_norm(fn)
    assert result.passed, result.message


def named_mistakes(ex, wrong_versions) -> set[str]:
    """The catalogued mistakes that the check names for at least one of the wrong versions."""
    messages = [run_check(ex, fn).message for fn, _ in wrong_versions]
    return {m.name for m in ex.mistakes for msg in messages if msg.startswith(f"It looks like {m.name}.")}


def test_a_stub_is_not_done_yet_and_the_solution_is_shown_on_request():
    result = exercises.check_clip_by_norm(clip_stub)
    assert not result.passed and result.status == "not done"
    assert "def clip_by_norm" in repr(exercises.solution("clip_by_norm"))


def test_every_catalogue_entry_is_reached_by_a_learner_style_version():
    assert named_mistakes(EX, WRONG) == {m.name for m in EX.mistakes}


@pytest.mark.parametrize("label", [label for label, _ in EX.cases])
def test_every_case_is_needed(label):
    fewer = dataclasses.replace(EX, cases=tuple(c for c in EX.cases if c[0] != label))
    assert any(
        run_check(fewer, fn).passed or run_check(fewer, fn).message != run_check(EX, fn).message for fn, _ in WRONG
    )


def test_the_cases_are_the_ones_the_table_was_written_for():
    assert [label for label, _ in EX.cases] == [
        "a long gradient, max_norm 1",
        "a short gradient, left alone",
        "a matrix, max_norm 2",
    ]


def test_the_reference_is_what_torch_clip_grad_norm_does():
    model = torch.nn.Linear(5, 3)
    torch.nn.functional.mse_loss(model(torch.randn(8, 5)), 10 * torch.randn(8, 3)).backward()
    flat = torch.cat([p.grad.flatten() for p in model.parameters()])
    assert flat.norm() > 1.0
    expected = solutions.clip_by_norm(flat, 1.0)
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    clipped = torch.cat([p.grad.flatten() for p in model.parameters()])
    assert torch.allclose(clipped, expected, rtol=1e-5) and clipped.norm().item() == pytest.approx(1.0, rel=1e-5)


# ---------------------------------------------------------------------------------------------------------
# scaled_lr: the linear scaling rule with a linear warmup
# ---------------------------------------------------------------------------------------------------------

LR = exercises.SCALED_LR


def lr_sqrt(step, batch_size, base_lr, base_batch, warmup_steps):
    lr = base_lr * math.sqrt(batch_size / base_batch)
    return lr * (step + 1) / warmup_steps if step < warmup_steps else lr


def lr_upside_down(step, batch_size, base_lr, base_batch, warmup_steps):
    lr = base_lr * base_batch / batch_size
    return lr * (step + 1) / warmup_steps if step < warmup_steps else lr


def lr_warmup_from_zero(step, batch_size, base_lr, base_batch, warmup_steps):
    lr = base_lr * batch_size / base_batch
    if step < warmup_steps:
        lr *= step / warmup_steps
    return lr


def lr_no_warmup(step, batch_size, base_lr, base_batch, warmup_steps):
    return base_lr * batch_size / base_batch


def lr_warmup_to_base(step, batch_size, base_lr, base_batch, warmup_steps):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr * batch_size / base_batch


def lr_warmup_forever(step, batch_size, base_lr, base_batch, warmup_steps):
    lr = base_lr * batch_size / base_batch
    return lr * (step + 1) / warmup_steps if warmup_steps else lr


def lr_min_form(step, batch_size, base_lr, base_batch, warmup_steps):
    return base_lr * batch_size / base_batch * min(1, (step + 1) / warmup_steps)  # fails without a warmup


LR_WRONG = [
    (lr_sqrt, "It looks like the rate was scaled by the square root of the batch ratio"),
    (lr_upside_down, "It looks like the batch ratio is upside down"),
    (lr_warmup_from_zero, "It looks like the warmup starts at 0"),
    (lr_no_warmup, "It looks like there is no warmup"),
    (lr_warmup_to_base, "It looks like the warmup rises towards base_lr"),
    (lr_warmup_forever, "It looks like the warmup factor is applied after the warmup too"),
    (lr_min_form, "test step < warmup_steps before dividing"),
]


def lr_min_form_guarded(step, batch_size, base_lr, base_batch, warmup_steps):
    factor = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    return base_lr * batch_size / base_batch * factor


def lr_with_the_course_schedule(step, batch_size, base_lr, base_batch, warmup_steps):
    return base_lr * batch_size / base_batch * mx.lr_multiplier("constant", step, 10_000, warmup_steps)


LR_RIGHT = [solutions.scaled_lr, lr_min_form_guarded, lr_with_the_course_schedule]


@pytest.mark.parametrize("fn, says", LR_WRONG, ids=[fn.__name__ for fn, _ in LR_WRONG])
def test_scaled_lr_wrong_versions_are_rejected_and_named(fn, says):
    result = exercises.check_scaled_lr(fn)
    assert not result.passed and says in result.message, result.message


@pytest.mark.parametrize("fn", LR_RIGHT, ids=[fn.__name__ for fn in LR_RIGHT])
def test_scaled_lr_correct_alternatives_pass(fn):
    assert exercises.check_scaled_lr(fn).passed


def test_scaled_lr_catalogue_is_reached_and_every_case_needed():
    assert named_mistakes(LR, LR_WRONG) == {m.name for m in LR.mistakes}
    assert [label for label, _ in LR.cases] == [
        "the first step",
        "after the warmup",
        "no warmup, a smaller batch",
    ]
    for label, _ in LR.cases:
        fewer = dataclasses.replace(LR, cases=tuple(c for c in LR.cases if c[0] != label))
        assert any(
            run_check(fewer, fn).passed or run_check(fewer, fn).message != run_check(LR, fn).message
            for fn, _ in LR_WRONG
        ), label
