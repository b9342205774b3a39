"""course_lib.optim against torch.optim: same update, defaults, state and state_dict behaviour, same errors.

Table-driven, after torch's own test_optim: one row per optimizer with labelled hyperparameter inputs that
cover every hyperparameter and flag, and the same tests run over every row.
"""

from __future__ import annotations

import copy
import io
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import optim

TOL = 1e-9  # max abs difference allowed against torch.optim in float64

# (label, course_lib class, torch class, hyperparameters): every hyperparameter and flag appears in some row
CONFIGS = [
    ("sgd-defaults", optim.SGD, torch.optim.SGD, dict(lr=0.05)),
    ("sgd-momentum", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    ("sgd-dampening-wd", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("sgd-nesterov", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd-maximize", optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("adagrad-defaults", optim.Adagrad, torch.optim.Adagrad, dict(lr=0.05)),
    (
        "adagrad-all",
        optim.Adagrad,
        torch.optim.Adagrad,
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.02, initial_accumulator_value=0.5, eps=1e-6),
    ),
    ("adagrad-maximize", optim.Adagrad, torch.optim.Adagrad, dict(lr=0.05, maximize=True)),
    ("rmsprop-defaults", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.005)),
    (
        "rmsprop-alpha-eps-wd",
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.005, alpha=0.9, eps=1e-4, weight_decay=0.05),
    ),
    ("rmsprop-momentum", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.002, momentum=0.9)),
    ("rmsprop-centered", optim.RMSprop, torch.optim.RMSprop, dict(lr=0.002, centered=True)),
    (
        "rmsprop-centered-momentum-max",
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.002, momentum=0.5, centered=True, maximize=True),
    ),
    ("adadelta-defaults", optim.Adadelta, torch.optim.Adadelta, dict()),
    ("adadelta-rho-eps-wd", optim.Adadelta, torch.optim.Adadelta, dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05)),
    ("adadelta-maximize", optim.Adadelta, torch.optim.Adadelta, dict(lr=2.0, rho=0.95, maximize=True)),
    ("adam-defaults", optim.Adam, torch.optim.Adam, dict()),
    ("adam-betas-eps", optim.Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("adam-l2", optim.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    ("adam-amsgrad", optim.Adam, torch.optim.Adam, dict(lr=0.01, amsgrad=True)),
    (
        "adam-amsgrad-l2-maximize",
        optim.Adam,
        torch.optim.Adam,
        dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True),
    ),
    ("adamw-defaults", optim.AdamW, torch.optim.AdamW, dict()),
    ("adamw-decay", optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.3, betas=(0.85, 0.995))),
    ("adamw-amsgrad-maximize", optim.AdamW, torch.optim.AdamW, dict(lr=0.01, amsgrad=True, maximize=True)),
]
CONFIG_IDS = [c[0] for c in CONFIGS]
# Yogi has no torch.optim twin: the behaviour tests below run on it too, and its own section checks its maths
YOGI_CONFIGS = [
    ("yogi-defaults", optim.Yogi, None, dict()),
    ("yogi-betas-eps-wd", optim.Yogi, None, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("yogi-maximize", optim.Yogi, None, dict(lr=0.01, maximize=True)),
]
ALL_CONFIGS = CONFIGS + YOGI_CONFIGS
ALL_IDS = [c[0] for c in ALL_CONFIGS]
CLASS_PAIRS = [
    (optim.SGD, torch.optim.SGD),
    (optim.Adagrad, torch.optim.Adagrad),
    (optim.RMSprop, torch.optim.RMSprop),
    (optim.Adadelta, torch.optim.Adadelta),
    (optim.Adam, torch.optim.Adam),
    (optim.AdamW, torch.optim.AdamW),
]


def make_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()


def param_groups(model: torch.nn.Module, lr: float) -> list[dict]:
    """Two groups with different learning rates: the first layer, and the rest at half its rate."""
    first, rest = list(model[0].parameters()), list(model[2].parameters())
    return [{"params": first}, {"params": rest, "lr": lr * 0.5}]


def batches(steps: int, seed: int = 1):
    """A different minibatch every step, the same sequence for every run."""
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(16, 4, generator=gen, dtype=torch.float64)
        y = torch.randn(16, 3, generator=gen, dtype=torch.float64)
        yield x, y


def train_step(model, opt, x, y) -> None:
    opt.zero_grad()
    torch.nn.functional.mse_loss(model(x), y).backward()
    opt.step()


def roundtrip(obj):
    """Save and load as a checkpoint would (a deepcopy shares nothing with the running optimizer)."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf)


def assert_same_state(ours: torch.optim.Optimizer, theirs: torch.optim.Optimizer, tol: float = TOL) -> None:
    """Every parameter and every state entry (names, shapes, values) agree."""
    ours_params = [p for g in ours.param_groups for p in g["params"]]
    their_params = [p for g in theirs.param_groups for p in g["params"]]
    for p, q in zip(ours_params, their_params, strict=True):
        assert (p - q).abs().max().item() <= tol
        s, t = ours.state[p], theirs.state[q]
        assert set(s) == set(t), f"state keys differ: {sorted(s)} vs {sorted(t)}"
        for key in s:
            a, b = torch.as_tensor(s[key]), torch.as_tensor(t[key])
            assert a.shape == b.shape, key
            assert a.dtype == b.dtype, key
            assert (a.double() - b.double()).abs().max().item() <= tol, key


@pytest.mark.parametrize("label, ours_cls, torch_cls, hp", CONFIGS, ids=CONFIG_IDS)
def test_matches_torch_with_groups_scheduler_and_checkpoint(label, ours_cls, torch_cls, hp):
    """240 steps, two param groups, an lr scheduler, and a state_dict round trip half way through."""
    steps, resume_at = 240, 120
    lr = hp.get("lr", 1e-3)
    model_a, model_b = make_model(), make_model()
    ours = ours_cls(param_groups(model_a, lr), **hp)
    theirs = torch_cls(param_groups(model_b, lr), foreach=False, **hp)
    sched_a = torch.optim.lr_scheduler.StepLR(ours, step_size=50, gamma=0.7)
    sched_b = torch.optim.lr_scheduler.StepLR(theirs, step_size=50, gamma=0.7)

    for i, (x, y) in enumerate(batches(steps)):
        if i == resume_at:  # a checkpoint: a new optimizer and scheduler load the saved states and go on
            saved_opt, saved_sched = roundtrip(ours.state_dict()), roundtrip(sched_a.state_dict())
            ours = ours_cls(param_groups(model_a, lr), **hp)
            ours.load_state_dict(saved_opt)
            sched_a = torch.optim.lr_scheduler.StepLR(ours, step_size=50, gamma=0.7)
            sched_a.load_state_dict(saved_sched)
        train_step(model_a, ours, x, y)
        train_step(model_b, theirs, x, y)
        sched_a.step()
        sched_b.step()

    assert_same_state(ours, theirs)
    assert [g["lr"] for g in ours.param_groups] == pytest.approx([g["lr"] for g in theirs.param_groups])
    moved = (make_model()[0].weight - model_a[0].weight).abs().max().item()
    assert moved > 1e-3, "the run must actually train for the comparison to mean anything"


@pytest.mark.parametrize("label, ours_cls, torch_cls, hp", CONFIGS, ids=CONFIG_IDS)
def test_state_dict_layout_matches_torch(label, ours_cls, torch_cls, hp):
    """Same state keys and group keys (torch's extra implementation switches aside)."""
    model_a, model_b = make_model(), make_model()
    ours, theirs = ours_cls(model_a.parameters(), **hp), torch_cls(model_b.parameters(), **hp)
    for x, y in batches(3):
        train_step(model_a, ours, x, y)
        train_step(model_b, theirs, x, y)
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["state"].keys() == b["state"].keys()
    for i in a["state"]:
        assert a["state"][i].keys() == b["state"][i].keys()
    torch_only = {"foreach", "capturable", "differentiable", "fused"}
    assert set(a["param_groups"][0]) == set(b["param_groups"][0]) - torch_only


@pytest.mark.parametrize("label, ours_cls, torch_cls, hp", CONFIGS, ids=CONFIG_IDS)
def test_checkpoints_move_between_course_and_torch(label, ours_cls, torch_cls, hp):
    """A state_dict saved by ours loads into torch's class and vice versa; the runs then continue identically."""
    model_a, model_b = make_model(), make_model()
    ours, theirs = ours_cls(model_a.parameters(), **hp), torch_cls(model_b.parameters(), foreach=False, **hp)
    data = list(batches(40))
    for x, y in data[:20]:
        train_step(model_a, ours, x, y)
        train_step(model_b, theirs, x, y)
    swapped_theirs = torch_cls(model_a.parameters(), foreach=False, **hp)  # torch continues our run
    swapped_theirs.load_state_dict(roundtrip(ours.state_dict()))
    swapped_ours = ours_cls(model_b.parameters(), **hp)  # ours continues torch's run
    swapped_ours.load_state_dict(roundtrip(theirs.state_dict()))
    for x, y in data[20:]:
        train_step(model_a, swapped_theirs, x, y)
        train_step(model_b, swapped_ours, x, y)
    assert_same_state(swapped_ours, swapped_theirs)


@pytest.mark.parametrize("ours_cls, torch_cls", CLASS_PAIRS, ids=[c[0].__name__ for c in CLASS_PAIRS])
def test_defaults_match_torch(ours_cls, torch_cls):
    p = [torch.zeros(2, requires_grad=True)]
    ours, theirs = ours_cls(p), torch_cls(p)
    for key, value in ours.defaults.items():
        assert theirs.defaults[key] == value, key


# ---------------------------------------------------------------------------------------------------------
# Agreements that theory demands (after optax's tests)
# ---------------------------------------------------------------------------------------------------------


def run_steps(opt_factory, steps: int = 30):
    model = make_model()
    opt = opt_factory(model.parameters())
    for x, y in batches(steps):
        train_step(model, opt, x, y)
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_adamw_without_decay_is_adam():
    a = run_steps(lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.0))
    b = run_steps(lambda p: optim.Adam(p, lr=0.01))
    assert torch.equal(a, b)


def test_adamw_and_adam_differ_when_decay_is_on():
    """Decoupled decay is not L2: with the same lambda the two must end in different places."""
    a = run_steps(lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.5))
    b = run_steps(lambda p: optim.Adam(p, lr=0.01, weight_decay=0.5))
    assert (a - b).abs().max().item() > 1e-4


def test_sgd_with_zero_momentum_is_gradient_descent():
    a = run_steps(lambda p: optim.SGD(p, lr=0.1, momentum=0.0))
    b = run_steps(lambda p: optim.make_optimizer("gd", p, lr=0.1))
    assert torch.equal(a, b)


@pytest.mark.parametrize("label, ours_cls, torch_cls, hp", ALL_CONFIGS, ids=ALL_IDS)
def test_zero_learning_rate_never_moves_a_parameter(label, ours_cls, torch_cls, hp):
    before = run_steps(lambda p: ours_cls(p, **{**hp, "lr": 0.0}), steps=0)
    after = run_steps(lambda p: ours_cls(p, **{**hp, "lr": 0.0}), steps=10)
    assert torch.equal(before, after)


@pytest.mark.parametrize("label, ours_cls, torch_cls, hp", ALL_CONFIGS, ids=ALL_IDS)
def test_zero_gradient_without_weight_decay_is_a_no_op(label, ours_cls, torch_cls, hp):
    hp = {k: v for k, v in hp.items() if k != "weight_decay"}
    if ours_cls is optim.AdamW:
        hp["weight_decay"] = 0.0
    p = torch.randn(5, dtype=torch.float64, requires_grad=True)
    start = p.detach().clone()
    opt = ours_cls([p], **hp)
    for _ in range(5):
        p.grad = torch.zeros_like(p)
        opt.step()
    assert torch.equal(p.detach(), start)


@pytest.mark.parametrize("label, ours_cls, torch_cls, hp", ALL_CONFIGS, ids=ALL_IDS)
def test_first_step_goes_downhill(label, ours_cls, torch_cls, hp):
    """On f(w) = |w|^2 / 2 the first step must lower f (raise it when maximizing)."""
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    opt = ours_cls([w], **{**hp, "lr": 0.01})
    f0 = 0.5 * w.detach().square().sum()
    w.grad = w.detach().clone()
    opt.step()
    f1 = 0.5 * w.detach().square().sum()
    assert (f1 > f0) if hp.get("maximize") else (f1 < f0)


def test_params_without_gradients_are_skipped_and_closures_work():
    w, unused = torch.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    opt = optim.Adam([w, unused], lr=0.1)
    calls = []

    def closure():
        calls.append(torch.is_grad_enabled())
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert calls == [True] and loss.item() == pytest.approx(2.0)
    assert torch.equal(unused.detach(), torch.ones(2)) and unused not in opt.state
    assert (w.detach() < 1).all()


def test_step_hooks_and_sparse_gradients():
    w = torch.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    seen = []
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append("post"))
    w.grad = torch.ones(3)
    opt.step()
    assert seen == ["post"]
    w.grad = torch.ones(3).to_sparse()
    with pytest.raises(RuntimeError, match="SGD does not support sparse gradients"):
        opt.step()


def test_old_checkpoints_with_a_numeric_step_still_load():
    model = make_model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    for x, y in batches(3):
        train_step(model, opt, x, y)
    saved = copy.deepcopy(opt.state_dict())
    for s in saved["state"].values():
        s["step"] = float(s["step"])
    for g in saved["param_groups"]:
        del g["amsgrad"], g["maximize"]
    fresh = optim.Adam(model.parameters(), lr=0.01)
    fresh.load_state_dict(saved)
    assert torch.is_tensor(next(iter(fresh.state.values()))["step"])
    assert fresh.param_groups[0]["amsgrad"] is False and fresh.param_groups[0]["maximize"] is False


# ---------------------------------------------------------------------------------------------------------
# Hypothesis: random valid hyperparameters and gradients, a few steps, equal to torch
# ---------------------------------------------------------------------------------------------------------

unit = st.floats(0.0, 0.999)
positive = st.floats(1e-4, 1.0)
small = st.floats(0.0, 0.5)
flag = st.booleans()

HYPER_STRATEGIES = {
    optim.SGD: st.fixed_dictionaries(
        {"lr": positive, "momentum": unit, "dampening": unit, "weight_decay": small, "maximize": flag}
    ),
    optim.Adagrad: st.fixed_dictionaries(
        {
            "lr": positive,
            "lr_decay": small,
            "weight_decay": small,
            "initial_accumulator_value": small,
            "eps": st.floats(1e-10, 1e-2),
            "maximize": flag,
        }
    ),
    optim.RMSprop: st.fixed_dictionaries(
        {
            "lr": positive,
            "alpha": unit,
            "eps": st.floats(1e-8, 1e-2),
            "weight_decay": small,
            "momentum": unit,
            "centered": flag,
            "maximize": flag,
        }
    ),
    optim.Adadelta: st.fixed_dictionaries(
        {"lr": st.floats(1e-4, 2.0), "rho": unit, "eps": st.floats(1e-8, 1e-2), "weight_decay": small, "maximize": flag}
    ),
    optim.Adam: st.fixed_dictionaries(
        {
            "lr": positive,
            "betas": st.tuples(unit, unit),
            "eps": st.floats(1e-8, 1e-2),
            "weight_decay": small,
            "amsgrad": flag,
            "maximize": flag,
        }
    ),
}
HYPER_STRATEGIES[optim.AdamW] = HYPER_STRATEGIES[optim.Adam]


@pytest.mark.parametrize("ours_cls, torch_cls", CLASS_PAIRS, ids=[c[0].__name__ for c in CLASS_PAIRS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_hyperparameters_and_gradients_match_torch(ours_cls, torch_cls, data):
    hp = data.draw(HYPER_STRATEGIES[ours_cls], label="hyperparameters")
    if ours_cls is optim.SGD and data.draw(flag, label="nesterov") and hp["momentum"] > 0:
        hp.update(nesterov=True, dampening=0.0)
    grads = data.draw(
        st.lists(st.lists(st.floats(-1e3, 1e3), min_size=4, max_size=4), min_size=1, max_size=5), label="gradients"
    )
    start = torch.linspace(-1, 1, 4, dtype=torch.float64)
    a, b = start.clone().requires_grad_(), start.clone().requires_grad_()
    ours, theirs = ours_cls([a], **hp), torch_cls([b], foreach=False, **hp)
    for g in grads:
        a.grad = torch.tensor(g, dtype=torch.float64)
        b.grad = torch.tensor(g, dtype=torch.float64)
        ours.step()
        theirs.step()
    # equal to torch, NaNs included: centered RMSprop with alpha=0 can take the root of a variance that
    # rounds below zero, in torch as here
    scale = max(1.0, b.detach().nan_to_num().abs().max().item())
    assert torch.allclose(a.detach(), b.detach(), rtol=0, atol=TOL * scale, equal_nan=True)


# ---------------------------------------------------------------------------------------------------------
# The rules step a batch of configurations at once (tensor hyperparameters), as trajectories need
# ---------------------------------------------------------------------------------------------------------

RULE_CASES = {
    "sgd-nesterov": (
        optim.SGD,
        dict(momentum=[0.5, 0.9, 0.3], dampening=0.0, nesterov=True, weight_decay=[0.0, 0.1, 0.2]),
    ),
    "sgd-dampening": (optim.SGD, dict(momentum=[0.5, 0.9, 0.7], dampening=[0.1, 0.0, 0.5])),
    "adagrad": (optim.Adagrad, dict(lr_decay=[0.0, 0.1, 0.01], eps=[1e-10, 1e-3, 0.1], weight_decay=[0, 0.1, 0.3])),
    "rmsprop-centered": (optim.RMSprop, dict(alpha=[0.9, 0.99, 0.5], momentum=[0.0, 0.5, 0.9], centered=True)),
    "adadelta": (optim.Adadelta, dict(rho=[0.9, 0.5, 0.99], eps=[1e-6, 1e-3, 1e-8], weight_decay=[0, 0.1, 0.3])),
    "adam": (optim.Adam, dict(betas=None, eps=[1e-8, 1e-3, 0.1], weight_decay=[0.0, 0.01, 0.1])),
    "adamw-amsgrad": (optim.AdamW, dict(betas=None, amsgrad=True, weight_decay=[0.0, 0.01, 0.1])),
    "yogi": (optim.Yogi, dict(betas=None, eps=[1e-3, 1e-6, 0.1], weight_decay=[0.0, 0.01, 0.1])),
}


@pytest.mark.parametrize("case", list(RULE_CASES))
def test_rules_accept_a_batch_of_hyperparameters(case):
    """One rule call on a (3, 2) batch with per-row hyperparameters equals three separate optimizers."""
    cls, spec = RULE_CASES[case]
    lrs = [0.01, 0.05, 0.1]
    betas1, betas2 = [0.9, 0.8, 0.5], [0.999, 0.99, 0.9]
    rows = []
    for i in range(3):
        row = {k: (v[i] if isinstance(v, list) else v) for k, v in spec.items()}
        if "betas" in row:
            row["betas"] = (betas1[i], betas2[i])
        rows.append({"lr": lrs[i], **row})

    def column(values):
        return torch.tensor(values, dtype=torch.float64).unsqueeze(1)

    batched = {"lr": column(lrs)}
    for k, v in spec.items():
        if k == "betas":
            batched["betas"] = (column(betas1), column(betas2))
        else:
            batched[k] = column(v) if isinstance(v, list) else v
    defaults = cls([torch.zeros(1, requires_grad=True)]).defaults
    group = {**defaults, **batched}

    gen = torch.Generator().manual_seed(3)
    grads = [torch.randn(3, 2, generator=gen, dtype=torch.float64) for _ in range(25)]
    start = torch.randn(3, 2, generator=gen, dtype=torch.float64)

    w = start.clone()
    state = cls._init_state(w, group)
    for g in grads:
        cls._update(w, g, state, group)

    for i, row in enumerate(rows):
        p = start[i].clone().requires_grad_()
        opt = cls([p], **row)
        for g in grads:
            p.grad = g[i].clone()
            opt.step()
        assert (w[i] - p.detach()).abs().max().item() <= 1e-12, f"row {i}"


# ---------------------------------------------------------------------------------------------------------
# Errors: every rejected hyperparameter names itself, its value and what is allowed
# ---------------------------------------------------------------------------------------------------------

ERROR_CASES = [
    (optim.SGD, dict(lr=-0.1), r"lr must be a finite number >= 0, got -0\.1"),
    (optim.SGD, dict(lr=float("nan")), r"lr must be a finite number >= 0, got nan"),
    (optim.SGD, dict(lr=float("inf")), r"lr must be a finite number >= 0, got inf"),
    (optim.SGD, dict(lr="0.1"), r"lr must be a finite number >= 0, got '0\.1' \(a str\)"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), r"momentum must be a finite number >= 0, got -0\.5"),
    (optim.SGD, dict(lr=0.1, dampening=1.5), r"dampening must be a number in \[0, 1\], got 1\.5"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1e-4), r"weight_decay must be a finite number >= 0, got -0\.0001"),
    (optim.SGD, dict(lr=0.1, nesterov=True), r"nesterov=True needs momentum > 0 and dampening = 0, got momentum=0"),
    (
        optim.SGD,
        dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        r"nesterov=True needs momentum > 0 and dampening = 0, got momentum=0\.9 and dampening=0\.1",
    ),
    (optim.SGD, dict(lr=0.1, maximize="yes"), r"maximize must be True or False, got 'yes'"),
    (optim.Adagrad, dict(lr=-1.0), r"lr must be a finite number >= 0, got -1\.0"),
    (optim.Adagrad, dict(lr_decay=-0.1), r"lr_decay must be a finite number >= 0, got -0\.1"),
    (optim.Adagrad, dict(weight_decay=-0.1), r"weight_decay must be a finite number >= 0, got -0\.1"),
    (
        optim.Adagrad,
        dict(initial_accumulator_value=-0.1),
        r"initial_accumulator_value must be a finite number >= 0, got -0\.1",
    ),
    (optim.Adagrad, dict(eps=-1e-10), r"eps must be a finite number >= 0, got -1e-10"),
    (optim.RMSprop, dict(lr=-0.01), r"lr must be a finite number >= 0, got -0\.01"),
    (optim.RMSprop, dict(alpha=1.5), r"alpha must be a number in \[0, 1\], got 1\.5"),
    (optim.RMSprop, dict(alpha=-0.1), r"alpha must be a number in \[0, 1\], got -0\.1"),
    (optim.RMSprop, dict(eps=-1.0), r"eps must be a finite number >= 0, got -1\.0"),
    (optim.RMSprop, dict(momentum=-0.9), r"momentum must be a finite number >= 0, got -0\.9"),
    (optim.RMSprop, dict(weight_decay=-0.9), r"weight_decay must be a finite number >= 0, got -0\.9"),
    (optim.RMSprop, dict(centered=1), r"centered must be True or False, got 1"),
    (optim.Adadelta, dict(lr=-1.0), r"lr must be a finite number >= 0, got -1\.0"),
    (optim.Adadelta, dict(rho=1.1), r"rho must be a number in \[0, 1\], got 1\.1"),
    (optim.Adadelta, dict(rho=-0.1), r"rho must be a number in \[0, 1\], got -0\.1"),
    (optim.Adadelta, dict(eps=-1e-6), r"eps must be a finite number >= 0, got -1e-06"),
    (optim.Adadelta, dict(weight_decay=-0.1), r"weight_decay must be a finite number >= 0, got -0\.1"),
    (optim.Adadelta, dict(maximize=0), r"maximize must be True or False, got 0"),
    (optim.Adam, dict(lr=-1e-3), r"lr must be a finite number >= 0, got -0\.001"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\] must be a number in \[0, 1\), got 1\.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\] must be a number in \[0, 1\), got -0\.1"),
    (optim.Adam, dict(betas=0.9), r"betas must be a pair \(beta1, beta2\) of numbers in \[0, 1\), got 0\.9"),
    (optim.Adam, dict(eps=-1e-8), r"eps must be a finite number >= 0, got -1e-08"),
    (optim.Adam, dict(weight_decay=-0.01), r"weight_decay must be a finite number >= 0, got -0\.01"),
    (optim.Adam, dict(amsgrad=None), r"amsgrad must be True or False, got None"),
    (optim.AdamW, dict(betas=(0.9, 1.0)), r"betas\[1\] must be a number in \[0, 1\), got 1\.0"),
    (optim.AdamW, dict(weight_decay=float("nan")), r"weight_decay must be a finite number >= 0, got nan"),
    (optim.Yogi, dict(lr=-0.01), r"lr must be a finite number >= 0, got -0\.01"),
    (optim.Yogi, dict(betas=(0.9, 1.0)), r"betas\[1\] must be a number in \[0, 1\), got 1\.0"),
    (optim.Yogi, dict(betas=[0.9]), r"betas must be a pair \(beta1, beta2\) of numbers in \[0, 1\), got \[0\.9\]"),
    (optim.Yogi, dict(eps=float("inf")), r"eps must be a finite number >= 0, got inf"),
    (optim.Yogi, dict(weight_decay=-1), r"weight_decay must be a finite number >= 0, got -1"),
]


@pytest.mark.parametrize(
    "cls, kwargs, message", ERROR_CASES, ids=[f"{c.__name__}-{next(iter(k))}" for c, k, _ in ERROR_CASES]
)
def test_bad_hyperparameters_are_rejected_with_a_clear_message(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([torch.zeros(2, requires_grad=True)], **kwargs)


def test_param_groups_are_checked_too():
    w, v = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0, got -1"):
        optim.Adam([{"params": [w]}, {"params": [v], "lr": -1}])
    opt = optim.Adam([w])
    with pytest.raises(ValueError, match=r"betas\[0\] must be a number in \[0, 1\), got 1\.2"):
        opt.add_param_group({"params": [v], "betas": (1.2, 0.9)})
    opt.param_groups[0]["lr"] = -0.5  # edited by hand after construction: caught at the next step
    w.grad = torch.ones(2)
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0, got -0\.5"):
        opt.step()


# ---------------------------------------------------------------------------------------------------------
# make_optimizer
# ---------------------------------------------------------------------------------------------------------

NAMES = {
    "gd": (optim.SGD, {"momentum": 0, "nesterov": False}),
    "sgd": (optim.SGD, {"momentum": 0, "nesterov": False}),
    "momentum": (optim.SGD, {"momentum": 0.9, "nesterov": False}),
    "nesterov": (optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (optim.Adagrad, {}),
    "rmsprop": (optim.RMSprop, {}),
    "adadelta": (optim.Adadelta, {"rho": 0.9, "eps": 1e-6}),
    "adam": (optim.Adam, {"amsgrad": False, "decoupled_weight_decay": False}),
    "adamw": (optim.AdamW, {"amsgrad": False, "decoupled_weight_decay": True, "weight_decay": 1e-2}),
    "amsgrad": (optim.Adam, {"amsgrad": True}),
    "yogi": (optim.Yogi, {"betas": (0.9, 0.999), "eps": 1e-3}),
}


def test_make_optimizer_knows_exactly_the_course_names():
    assert optim.optimizer_names() == list(NAMES)


@pytest.mark.parametrize("name", list(NAMES))
def test_make_optimizer_builds_the_named_optimizer(name):
    cls, expected = NAMES[name]
    for spelling in (name, name.upper(), f" {name.title()} "):
        opt = optim.make_optimizer(spelling, [torch.zeros(2, requires_grad=True)], lr=0.5)
        assert type(opt) is cls
        group = opt.param_groups[0]
        assert group["lr"] == 0.5
        for key, value in expected.items():
            assert group[key] == value, (name, key)


def test_make_optimizer_passes_hyperparameters_and_lets_them_override_presets():
    opt = optim.make_optimizer("momentum", [torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.5)
    assert opt.param_groups[0]["momentum"] == 0.5
    opt = optim.make_optimizer("adam", [torch.zeros(2, requires_grad=True)], betas=(0.5, 0.9))
    assert opt.param_groups[0]["betas"] == (0.5, 0.9)


def test_make_optimizer_errors_name_what_is_known():
    p = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(
        ValueError, match=r"unknown optimizer 'adma'; the known names are: gd, sgd, .*yogi\. Did you mean 'adam'\?"
    ):
        optim.make_optimizer("adma", p)
    with pytest.raises(
        ValueError, match=r"'adam' \(Adam\) has no hyperparameter 'beta1'.*betas.*Did you mean 'betas'\?"
    ):
        optim.make_optimizer("adam", p, beta1=0.9)
    with pytest.raises(ValueError, match=r"'nesterov' means nesterov=True, got nesterov=False"):
        optim.make_optimizer("nesterov", p, nesterov=False)
    with pytest.raises(ValueError, match=r"'amsgrad' means amsgrad=True, got amsgrad=False"):
        optim.make_optimizer("amsgrad", p, amsgrad=False)
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0, got -1"):
        optim.make_optimizer("sgd", p, lr=-1)


def test_docstrings_carry_the_formula():
    for cls in (optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adadelta, optim.Adam, optim.Yogi):
        assert "theta <- theta" in cls.__doc__, cls.__name__
    assert math.isclose(optim.SGD([torch.zeros(1, requires_grad=True)]).defaults["lr"], 1e-3)


# ---------------------------------------------------------------------------------------------------------
# Yogi: torch.optim has none, so it is checked against the paper's Algorithm 2 worked out by hand
# ---------------------------------------------------------------------------------------------------------


def yogi_by_hand(theta, grads, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-3, weight_decay=0.0, maximize=False):
    """Zaheer et al. (2018), Algorithm 2, one coordinate at a time in plain Python floats."""
    theta = list(theta)
    m, v = [0.0] * len(theta), [0.0] * len(theta)
    for grad in grads:
        for i, g in enumerate(grad):
            g = -g if maximize else g
            g = g + weight_decay * theta[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            sign = (v[i] > g * g) - (v[i] < g * g)
            v[i] = v[i] - (1 - beta2) * sign * g * g
            theta[i] = theta[i] - lr * m[i] / (math.sqrt(v[i]) + eps)
    return theta


def yogi_run(start, grads, **hp):
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = optim.Yogi([w], **hp)
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return w.detach(), opt


def test_yogi_first_step_worked_by_hand():
    """g = 2 from theta = 1: m = 0.2, v = 0 - 0.001 * sign(0 - 4) * 4 = 0.004,
    theta = 1 - 0.01 * 0.2 / (sqrt(0.004) + 0.001)."""
    w, opt = yogi_run([1.0], [[2.0]])
    state = opt.state[opt.param_groups[0]["params"][0]]
    assert state["exp_avg"].item() == pytest.approx(0.2, abs=1e-15)
    assert state["exp_avg_sq"].item() == pytest.approx(0.004, abs=1e-15)
    assert w.item() == pytest.approx(1 - 0.01 * 0.2 / (math.sqrt(0.004) + 0.001), abs=1e-15)
    assert state["step"].item() == 1.0


@settings(max_examples=150, deadline=None)
@given(
    hp=st.fixed_dictionaries(
        {
            "lr": positive,
            "betas": st.tuples(unit, unit),
            "eps": st.floats(1e-8, 1e-1),
            "weight_decay": small,
            "maximize": flag,
        }
    ),
    grads=st.lists(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3), min_size=1, max_size=8),
)
def test_yogi_matches_algorithm_2_by_hand(hp, grads):
    start = [0.5, -1.0, 2.0]
    w, _ = yogi_run(start, grads, **hp)
    beta1, beta2 = hp["betas"]
    hand = yogi_by_hand(start, grads, hp["lr"], beta1, beta2, hp["eps"], hp["weight_decay"], hp["maximize"])
    scale = max(1.0, max(abs(x) for x in hand))
    assert torch.allclose(w, torch.tensor(hand, dtype=torch.float64), rtol=0, atol=1e-9 * scale)


def test_yogi_second_moment_falls_additively_where_adams_falls_by_a_fraction():
    """After one large gradient and then small ones, Adam's v shrinks by a factor beta2 each step (its
    multiplicative update); Yogi's shrinks by (1 - beta2) * g^2 at most, so it stays far larger."""
    grads = [[10.0]] + [[0.01]] * 2000
    _, yogi = yogi_run([0.0], grads, betas=(0.9, 0.99))
    w = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    adam = optim.Adam([w], betas=(0.9, 0.99))
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        adam.step()
    v_yogi = next(iter(yogi.state.values()))["exp_avg_sq"].item()
    v_adam = next(iter(adam.state.values()))["exp_avg_sq"].item()
    assert v_yogi == pytest.approx(0.01 * 100 - 2000 * 0.01 * 1e-4, rel=1e-9)  # 1 - 0.002
    assert v_adam < 1e-3 and v_yogi > 100 * v_adam


def test_yogi_leaves_v_alone_when_it_equals_the_squared_gradient():
    """sign(0) = 0: v = g^2 exactly means no change (Adam would not change it either)."""
    _, opt = yogi_run([0.0], [[2.0], [2.0], [2.0]], betas=(0.9, 0.75))
    v_after_first = 0.25 * 4.0  # (1 - beta2) * g^2 = 1.0
    _, opt1 = yogi_run([0.0], [[2.0]], betas=(0.9, 0.75))
    assert next(iter(opt1.state.values()))["exp_avg_sq"].item() == v_after_first
    _, opt_eq = yogi_run([0.0], [[2.0], [1.0], [1.0]], betas=(0.9, 0.75))  # v = 1 = g^2 from step 2 on
    assert next(iter(opt_eq.state.values()))["exp_avg_sq"].item() == 1.0
    assert next(iter(opt.state.values()))["exp_avg_sq"].item() > 1.0


def test_yogi_checkpoint_round_trip_continues_identically():
    model_a, model_b = make_model(), make_model()
    a, b = optim.Yogi(model_a.parameters(), lr=0.02), optim.Yogi(model_b.parameters(), lr=0.02)
    data = list(batches(40))
    for x, y in data[:20]:
        train_step(model_a, a, x, y)
        train_step(model_b, b, x, y)
    resumed = optim.Yogi(model_b.parameters(), lr=0.02)
    resumed.load_state_dict(roundtrip(b.state_dict()))
    assert set(next(iter(resumed.state.values()))) == {"step", "exp_avg", "exp_avg_sq"}
    for x, y in data[20:]:
        train_step(model_a, a, x, y)
        train_step(model_b, resumed, x, y)
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(p, q)


def test_yogi_defaults_are_the_papers():
    opt = optim.Yogi([torch.zeros(1, requires_grad=True)])
    assert opt.defaults == {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-3, "weight_decay": 0, "maximize": False}
