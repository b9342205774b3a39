"""Library code behind notebook 05: course_lib.experiments and plotting.family_race_grid."""

import math

import numpy as np
import pytest
import torch

from course_lib import experiments, landscapes, optim, plotting, trajectories


def test_noisy_quadratic_keeps_the_best_learning_rate_and_reports_per_run_losses():
    r = experiments.noisy_quadratic("sgd", "gaussian", [1e-3, 0.01], steps=200, runs=20, last=50)
    assert r.lr in (1e-3, 0.01) and r.losses.shape == (20,) and r.mean_by_lr.shape == (2,)
    assert r.mean_by_lr[[1e-3, 0.01].index(r.lr)] == pytest.approx(r.losses.mean())
    assert r.mean_by_lr.min() == pytest.approx(r.losses.mean())


def test_noisy_quadratic_without_noise_is_plain_sgd():
    """With zero noise the runs are gradient descent from (2, 2): compare with the closed form."""
    lr, steps = 0.05, 40
    r = experiments.noisy_quadratic("sgd", "gaussian", [lr], steps=steps, runs=3, last=1, noise_scale=0.0)
    c = np.array([1.0, 10.0])
    w = 2.0 * (1 - lr * c) ** steps
    assert np.allclose(r.losses, 0.5 * (c * w * w).sum())
    assert r.largest_step == pytest.approx(np.linalg.norm(lr * c * 2.0))  # the first step is the longest


def test_noisy_quadratic_adam_bounds_its_step_under_spikes():
    sgd = experiments.noisy_quadratic("sgd", "spiky", [5e-3], steps=300, runs=50, last=100)
    adam = experiments.noisy_quadratic("adam", "spiky", [5e-3], steps=300, runs=50, last=100)
    assert adam.largest_step < 4 * 5e-3 < sgd.largest_step


def test_noisy_quadratic_is_seeded():
    a = experiments.noisy_quadratic("adam", "spiky", [1e-3, 1e-2], steps=50, runs=4, last=10)
    b = experiments.noisy_quadratic("adam", "spiky", [1e-3, 1e-2], steps=50, runs=4, last=10)
    assert np.array_equal(a.losses, b.losses)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"method": "rmsprop"}, "method"), ({"noise": "uniform"}, "noise"), ({"last": 0}, "last")],
)
def test_noisy_quadratic_rejects_bad_arguments(kwargs, message):
    args = {"method": "sgd", "noise": "gaussian", "lrs": [0.01], "steps": 10, "runs": 2, "last": 5} | kwargs
    with pytest.raises(ValueError, match=message):
        experiments.noisy_quadratic(**args)


def test_weight_decay_balance_l2_and_decoupled():
    l2, _ = experiments.weight_decay_balance(decoupled=False, lr=0.02, steps=4000, runs=20)
    adamw, rms = experiments.weight_decay_balance(decoupled=True, lr=0.02, steps=4000, runs=20)
    assert np.allclose(l2, 0.5, atol=0.05)  # L2: balance 1 / (1 + lambda) whatever the noise
    assert adamw[0] > 0.7 > 0.2 > adamw[1]  # AdamW: the noisy weight is decayed far more
    assert np.allclose(adamw, 1 / (1 + rms), atol=0.05)


def test_weight_decay_balance_matches_torch_adamw():
    """Without noise, one run equals torch.optim.AdamW / Adam on the same loss."""
    for decoupled, cls in ((True, torch.optim.AdamW), (False, torch.optim.Adam)):
        w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt = cls([w], lr=5e-3, weight_decay=1.0)
        total = torch.zeros(2, dtype=torch.float64)
        for t in range(1, 201):
            opt.zero_grad()
            (0.5 * ((w - 1.0) ** 2).sum()).backward()
            opt.step()
            if t > 100:
                total += w.detach()
        ours, _ = experiments.weight_decay_balance(decoupled=decoupled, noise=(0.0, 0.0), steps=200, runs=1)
        assert np.allclose(ours, (total / 100).numpy(), atol=1e-12)


def test_family_race_grid_draws_each_family_in_colour_over_the_rest():
    names = ["quadratic", "saddle"]
    racers = ["sgd", "momentum", "adagrad", "adadelta"]
    races = {n: [trajectories.run(n, name, lr=0.05, steps=20) for name in racers] for n in names}
    families = {"first": ["sgd", "momentum"], "second": ["adagrad", "adadelta"]}
    fig = plotting.family_race_grid(
        races, families, min_values={n: landscapes.get(n).min_value for n in names}, tol=1e-3
    )
    axes = fig.axes
    assert len(axes) == 4
    coloured = [line for line in axes[1].get_lines() if line.get_label() in families["second"]]
    assert [line.get_label() for line in coloured] == ["adagrad", "adadelta"]
    assert coloured[0].get_color() != coloured[1].get_color()  # the course gives both the same green
    course_colours = {plotting.optimizer_style(n)[0] for n in optim.optimizer_names()}
    assert coloured[1].get_color() not in course_colours  # not another optimizer's colour from another column
    greys = [line for line in axes[1].get_lines() if line.get_color() == "#c9c9c9"]
    assert len(greys) == 2  # sgd and momentum, behind
    assert axes[0].get_legend().get_title().get_text() == "first"
    assert all(ax.get_yscale() == "log" for ax in axes)


def test_update_rules_called_with_keywords_match_positional():
    """The notebook passes max_exp_avg_sq and step by keyword; that must equal the positional call."""
    p1, p2 = torch.ones(3), torch.ones(3)
    g = torch.tensor([0.1, -2.0, 3.0])
    s1 = [torch.zeros(3), torch.zeros(3)]
    s2 = [torch.zeros(3), torch.zeros(3)]
    for t in (1, 2):
        optim.adam_update(p1, g, *s1, None, t, lr=0.1)
        optim.adam_update(p2, g, *s2, max_exp_avg_sq=None, step=t, lr=0.1)
    assert torch.equal(p1, p2) and math.isfinite(p1.sum().item())


def test_notebook_05_questions_accept_their_answer_and_reject_another():
    from course_lib import predict

    questions = [predict.get(i) for i in predict.ids() if i.startswith("05.")]
    assert len(questions) >= 2
    for q in questions:
        assert q.check(q.answer).passed
        wrong = (q.answer + 1) % len(q.choices) if q.choices else q.answer + 10 * q.tolerance
        assert not q.check(wrong).passed
