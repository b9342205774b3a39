"""The exercise checks: references pass, realistic wrong answers are rejected with the mistake named,
stubs and crashes get kind, brief feedback, and no check ever raises into the learner's face."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import exercises, solutions
from course_lib.checking import CheckResult

# ---------------------------------------------------------------------------------------------------------
# Every reference solution passes; every catalogued mistake is rejected and named as itself
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", exercises.exercise_names())
def test_every_reference_solution_passes_its_check(name):
    result = exercises.CHECKS[name](getattr(solutions, name))
    assert result.passed, result.message
    assert result.status == "passed" and repr(result).startswith("[correct]")


CATALOGUED = [
    exercises.GD,
    exercises.NUMERICAL_GRAD,
    exercises.MOMENTUM,
    exercises.ADAGRAD,
    exercises.RMSPROP,
    exercises.ADAM,
]
CATALOGUED += [exercises.SOFTMAX, exercises.CROSS_ENTROPY, exercises.MINIBATCH_GRAD]
CATALOGUED += [exercises.LEAST_SQUARES, exercises.KNN_PREDICT]


@pytest.mark.parametrize(
    "ex, mistake",
    [(ex, m) for ex in CATALOGUED for m in ex.mistakes],
    ids=[f"{ex.name}:{m.name[:40]}" for ex in CATALOGUED for m in ex.mistakes],
)
def test_each_catalogued_mistake_is_told_apart_from_the_others(ex, mistake):
    """The cases are rich enough that no mistake reproduces the reference or an earlier mistake everywhere."""
    result = exercises.run_check(ex, mistake.compute)
    assert not result.passed
    assert result.message.startswith(f"It looks like {mistake.name}."), result.message


def expect_mistake(result: CheckResult, words: str) -> None:
    assert not result.passed, "a wrong answer passed"
    assert result.status == "failed"
    assert f"It looks like {words}" in result.message, result.message
    assert "expected" in result.message and "got" in result.message, "a small numeric example is shown"


# ---------------------------------------------------------------------------------------------------------
# Realistic wrong versions, written the way learners write them
# ---------------------------------------------------------------------------------------------------------


def test_gd_step_mistakes():
    def uphill(w, grad, lr):
        return w + lr * grad

    def no_lr(w, grad, lr):
        w -= grad  # in place, and forgets lr
        return w

    def divided(w, grad, lr):
        return w - grad / lr

    def only_the_step(w, grad, lr):
        step = -lr * grad
        return step

    expect_mistake(exercises.check_gd_step(uphill), "the sign is flipped")
    expect_mistake(exercises.check_gd_step(no_lr), "lr is missing")
    expect_mistake(exercises.check_gd_step(divided), "you divided by lr")
    expect_mistake(exercises.check_gd_step(only_the_step), "you returned the step, not the new weights")


def test_gd_step_accepts_equivalent_forms():
    def in_place(w, grad, lr):
        w.sub_(lr * grad)
        return w

    def with_numpy(w, grad, lr):
        return w.numpy() - lr * grad.numpy()

    assert exercises.check_gd_step(in_place).passed
    assert exercises.check_gd_step(with_numpy).passed


def test_numerical_grad_mistakes_and_forms():
    def forward(f, w, h):
        grad = []
        for i in range(len(w)):
            up = w.clone()
            up[i] += h
            grad.append(((f(up) - f(w)) / h).item())
        return grad

    def over_h(f, w, h):
        grad = torch.zeros_like(w)
        for i in range(len(w)):
            e = torch.zeros_like(w)
            e[i] = h
            grad[i] = (f(w + e) - f(w - e)) / h
        return grad

    def all_at_once(f, w, h):
        return (f(w + h) - f(w - h)) / (2 * h) * torch.ones_like(w)

    def as_list(f, w, h):  # a list of Python numbers is a fine answer
        out = []
        for i in range(len(w)):
            plus, minus = w.clone(), w.clone()
            plus[i] += h
            minus[i] -= h
            out.append(float((f(plus) - f(minus)) / (2 * h)))
        return out

    expect_mistake(exercises.check_numerical_grad(forward), "this is the forward difference")
    expect_mistake(exercises.check_numerical_grad(over_h), "the difference is divided by h instead of 2h")
    expect_mistake(exercises.check_numerical_grad(all_at_once), "every coordinate was moved at once")
    assert exercises.check_numerical_grad(as_list).passed
    message = exercises.check_numerical_grad(forward).message
    assert "f=f(w) = sum(3 w^2) + w0 w1" in message and " at 0x" not in message


def test_momentum_step_mistakes():
    def sutskever(w, grad, buf, lr, momentum):
        v = -lr * grad if buf is None else momentum * buf - lr * grad
        return w + v, v

    def dampened(w, grad, buf, lr, momentum):
        buf = grad.clone() if buf is None else momentum * buf + (1 - momentum) * grad
        return w - lr * buf, buf

    def old_buffer(w, grad, buf, lr, momentum):
        direction = grad if buf is None else buf  # steps with the buffer of the previous call
        new_buf = grad.clone() if buf is None else momentum * buf + grad
        return w - lr * direction, new_buf

    def nesterov(w, grad, buf, lr, momentum):
        buf = grad if buf is None else momentum * buf + grad
        return w - lr * (grad + momentum * buf), buf

    expect_mistake(exercises.check_momentum_step(sutskever), "the buffer is a velocity")
    expect_mistake(exercises.check_momentum_step(dampened), "the buffer is a dampened average")
    expect_mistake(exercises.check_momentum_step(old_buffer), "the step uses the old buffer")
    expect_mistake(exercises.check_momentum_step(nesterov), "this is Nesterov's correction")


def test_momentum_step_zero_start_is_right_and_a_missing_first_step_is_explained():
    def zero_start(w, grad, buf, lr, momentum):  # with dampening 0, starting at zero gives the same buffer
        if buf is None:
            buf = torch.zeros_like(grad)
        buf = momentum * buf + grad
        return w - lr * buf, buf

    def forgets_step_one(w, grad, buf, lr, momentum):
        buf = momentum * buf + grad
        return w - lr * buf, buf

    assert exercises.check_momentum_step(zero_start).passed
    result = exercises.check_momentum_step(forgets_step_one)
    assert result.status == "error"
    assert "On the case 'step 1, buf is None', momentum_step raised TypeError" in result.message
    assert "your line" in result.message and "buf = momentum * buf + grad" in result.message
    assert "at the first step buf is None" in result.message


def test_adagrad_step_mistakes():
    def eps_inside(w, grad, state_sum, lr, eps):
        state_sum = state_sum + grad**2
        return w - lr * grad / torch.sqrt(state_sum + eps), state_sum

    def not_squared(w, grad, state_sum, lr, eps):
        state_sum = state_sum + grad
        return w - lr * grad / (state_sum.sqrt() + eps), state_sum

    def old_sum(w, grad, state_sum, lr, eps):
        new_w = w - lr * grad / (state_sum.sqrt() + eps)
        return new_w, state_sum + grad * grad

    def forgets(w, grad, state_sum, lr, eps):
        state_sum = grad**2
        return w - lr * grad / (state_sum.sqrt() + eps), state_sum

    expect_mistake(exercises.check_adagrad_step(eps_inside), "eps is inside the square root")
    expect_mistake(exercises.check_adagrad_step(not_squared), "the gradient is not squared")
    expect_mistake(exercises.check_adagrad_step(old_sum), "the step uses the old sum")
    expect_mistake(exercises.check_adagrad_step(forgets), "the sum is replaced, not accumulated")


def test_rmsprop_step_mistakes():
    def eps_inside(w, grad, sq_avg, lr, alpha, eps):  # the Keras form
        sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
        return w - lr * grad / torch.sqrt(sq_avg + eps), sq_avg

    def alpha_swapped(w, grad, sq_avg, lr, alpha, eps):
        sq_avg = (1 - alpha) * sq_avg + alpha * grad * grad
        return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg

    def adagrad_instead(w, grad, sq_avg, lr, alpha, eps):
        sq_avg += grad**2
        return w - lr * grad / (sq_avg.sqrt() + eps), sq_avg

    def no_root(w, grad, sq_avg, lr, alpha, eps):
        sq_avg = alpha * sq_avg + (1 - alpha) * grad**2
        return w - lr * grad / (sq_avg + eps), sq_avg

    expect_mistake(exercises.check_rmsprop_step(eps_inside), "eps is inside the square root")
    expect_mistake(exercises.check_rmsprop_step(alpha_swapped), "alpha is on the wrong term")
    expect_mistake(exercises.check_rmsprop_step(adagrad_instead), "the squared gradients are summed")
    expect_mistake(exercises.check_rmsprop_step(no_root), "the square root is missing")


def test_adam_step_mistakes():
    def no_correction(w, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return w - lr * m / (v.sqrt() + eps), m, v

    def counts_from_zero(w, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat = m / (1 - beta1 ** (t - 1))
        v_hat = v / (1 - beta2 ** (t - 1))
        return w - lr * m_hat / (v_hat.sqrt() + eps), m, v

    def eps_inside(w, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return w - lr * m_hat / torch.sqrt(v_hat + eps), m, v

    def v_not_squared(w, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return w - lr * m_hat / (v_hat.abs().sqrt() + eps), m, v

    def betas_swapped(w, grad, m, v, t, lr, beta1, beta2, eps):
        m = (1 - beta1) * m + beta1 * grad
        v = (1 - beta2) * v + beta2 * grad**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return w - lr * m_hat / (v_hat.sqrt() + eps), m, v

    expect_mistake(exercises.check_adam_step(no_correction), "there is no bias correction")
    expect_mistake(exercises.check_adam_step(counts_from_zero), "t is counted from 0")
    expect_mistake(exercises.check_adam_step(eps_inside), "eps is inside the square root")
    expect_mistake(exercises.check_adam_step(v_not_squared), "the gradient is not squared in v")
    expect_mistake(exercises.check_adam_step(betas_swapped), "each beta is on the wrong term")


def test_adam_step_in_place_version_passes():
    def in_place(w, grad, m, v, t, lr, beta1, beta2, eps):
        m.mul_(beta1).add_(grad, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = (v / (1 - beta2**t)).sqrt().add_(eps)
        w.addcdiv_(m, denom, value=-lr / (1 - beta1**t))
        return w, m, v

    assert exercises.check_adam_step(in_place).passed


def test_softmax_mistakes():
    def naive(logits):
        e = torch.exp(logits)
        return e / e.sum(dim=1, keepdim=True)

    def down_the_batch(logits):
        return torch.softmax(logits, dim=0)

    def log_probs(logits):
        return F.log_softmax(logits, dim=-1)

    def unnormalised(logits):
        return torch.exp(logits - logits.max(dim=-1, keepdim=True).values)

    expect_mistake(exercises.check_softmax(naive), "exp overflows for large logits")
    assert not exercises.check_softmax(down_the_batch).passed
    expect_mistake(exercises.check_softmax(log_probs), "this is the log-softmax")
    expect_mistake(exercises.check_softmax(unnormalised), "the exponentials are not normalised")


def test_cross_entropy_mistakes():
    def naive(logits, targets):
        p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
        return -torch.log(p[range(len(targets)), targets]).mean()

    def summed(logits, targets):
        return F.cross_entropy(logits, targets, reduction="sum")

    def double_softmax(logits, targets):
        return F.cross_entropy(F.softmax(logits, dim=1), targets)

    def per_example(logits, targets):
        return -F.log_softmax(logits, dim=1).gather(1, targets[:, None]).squeeze(1)

    def logits_as_probabilities(logits, targets):
        return -torch.log(logits[torch.arange(len(targets)), targets]).mean()

    expect_mistake(exercises.check_cross_entropy(naive), "the softmax overflows")
    expect_mistake(exercises.check_cross_entropy(summed), "the loss is summed over the batch")
    expect_mistake(exercises.check_cross_entropy(double_softmax), "softmax was applied twice")
    expect_mistake(exercises.check_cross_entropy(per_example), "you returned one loss per example")
    expect_mistake(exercises.check_cross_entropy(logits_as_probabilities), "the logits were used as if")


def test_cross_entropy_must_stay_a_tensor():
    def as_float(logits, targets):
        return F.cross_entropy(logits, targets).item()

    result = exercises.check_cross_entropy(as_float)
    assert not result.passed and "autograd needs a tensor" in result.message and "float" in result.message


def test_minibatch_mistakes():
    def in_order(n, batch_size, generator):
        return list(torch.arange(n).split(batch_size))

    def with_replacement(n, batch_size, generator):
        return list(torch.randint(0, n, (n,), generator=generator).split(batch_size))

    def drops_last(n, batch_size, generator):
        order = torch.randperm(n, generator=generator)
        return [order[i : i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]

    def ignores_generator(n, batch_size, generator):
        return list(torch.randperm(n, generator=torch.Generator().manual_seed(42)).split(batch_size))

    def global_rng(n, batch_size, generator):
        return list(torch.randperm(n).split(batch_size))

    assert "original order" in exercises.check_minibatches(in_order).message
    assert "sampling with replacement" in exercises.check_minibatches(with_replacement).message
    assert "The last, smaller batch is missing" in exercises.check_minibatches(drops_last).message
    assert "ignores the generator" in exercises.check_minibatches(ignores_generator).message
    assert "same seed gave different orders" in exercises.check_minibatches(global_rng).message
    for fn in (in_order, with_replacement, drops_last, ignores_generator, global_rng):
        assert not exercises.check_minibatches(fn).passed


# ---------------------------------------------------------------------------------------------------------
# Stubs, crashes, wrong shapes and types: kind, brief, never a traceback
# ---------------------------------------------------------------------------------------------------------


def stub_raises(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def stub_passes(*args):
    pass


@pytest.mark.parametrize("name", exercises.exercise_names())
@pytest.mark.parametrize("stub", [stub_raises, stub_passes], ids=["raises", "returns-None"])
def test_stubs_are_not_done_yet(name, stub):
    result = exercises.CHECKS[name](stub)
    assert result.status == "not done" and not result.passed
    assert repr(result).startswith("[not done yet]")
    assert "not written yet" in result.message


def test_a_function_that_changes_w_in_place_but_returns_nothing_is_told_so():
    def forgot_return(w, grad, lr):
        w -= lr * grad

    result = exercises.check_gd_step(forgot_return)
    assert not result.passed and "changed its inputs in place but returned None" in result.message
    assert "return w" in result.message


def test_exceptions_show_type_message_and_line():
    def typo(w, grad, lr):
        return w - lr * gradient  # noqa: F821 (the learner's typo)

    result = exercises.check_gd_step(typo)
    assert result.status == "error" and repr(result).startswith("[error]")
    assert "raised NameError: name 'gradient' is not defined" in result.message
    assert "return w - lr * gradient" in result.message
    assert "Traceback" not in result.message


def test_wrong_arity_types_and_shapes_get_a_sentence():
    def one_value(w, grad, buf, lr, momentum):
        return w - lr * grad

    def text(w, grad, lr):
        return "w - lr * grad"

    def flattened(w, grad, lr):
        return (w - lr * grad).flatten()

    def tuple_for_one(w, grad, lr):
        return w - lr * grad, lr

    assert (
        "should return 2 values, (new w, new buf); it returned 1 value"
        in exercises.check_momentum_step(one_value).message
    )
    assert "new w should be a tensor; gd_step returned a str" in exercises.check_gd_step(text).message
    assert "new w has shape (6,); expected (2, 3)" in exercises.check_gd_step(flattened).message
    assert (
        "gd_step should return one value, new w; it returned 2 values" in exercises.check_gd_step(tuple_for_one).message
    )


def test_passing_a_result_instead_of_the_function_is_explained():
    w = torch.ones(2)
    result = exercises.check_gd_step(solutions.gd_step(w, w, 0.1))
    assert not result.passed and "Pass your function itself" in result.message


def test_results_show_as_plain_text_and_as_a_coloured_box():
    good, bad = exercises.check_gd_step(solutions.gd_step), exercises.check_gd_step(stub_raises)
    assert repr(good).startswith("[correct] gd_step matches the reference on all 3 cases")
    assert "#1a7f37" in good._repr_html_() and "Correct" in good._repr_html_()
    assert "#5a6b7b" in bad._repr_html_() and "Not done yet" in bad._repr_html_()
    assert "&lt;" in CheckResult(False, "a < b")._repr_html_()  # the message is escaped


def test_the_same_answer_gives_the_same_feedback_every_time():
    """nbval compares the stored feedback text, so it must not vary between runs."""

    def no_lr(w, grad, lr):
        return w - grad

    assert repr(exercises.check_gd_step(no_lr)) == repr(exercises.check_gd_step(no_lr))


def test_numpy_outputs_are_accepted_for_update_rules():
    def numpy_rms(w, grad, sq_avg, lr, alpha, eps):
        sq = alpha * sq_avg.numpy() + (1 - alpha) * grad.numpy() ** 2
        return w.numpy() - lr * grad.numpy() / (np.sqrt(sq) + eps), sq

    assert exercises.check_rmsprop_step(numpy_rms).passed


def test_solutions_are_shown_on_request():
    sol = exercises.solution("adam_step")
    assert "def adam_step" in repr(sol) and "m_hat" in repr(sol)
    assert "try it yourself first" in sol._repr_markdown_()
    with pytest.raises(ValueError, match="no exercise called 'adma'; the exercises are: gd_step"):
        exercises.solution("adma")


def test_reference_functions_are_available_to_notebooks():
    assert exercises.reference("gd_step") is solutions.gd_step
    with pytest.raises(ValueError, match="no exercise called 'nope'"):
        exercises.reference("nope")


def test_minibatch_grad_mistakes():
    def no_two(X, y, w, idx):
        return X[idx].T @ (X[idx] @ w - y[idx]) / len(idx)

    def summed(X, y, w, idx):
        return 2 * X[idx].T @ (X[idx] @ w - y[idx])

    def everything(X, y, w, idx):
        return 2 * X.T @ (X @ w - y) / len(y)

    def by_autograd(X, y, w, idx):  # a different road to the right answer
        w = w.clone().requires_grad_()
        ((X[idx] @ w - y[idx]) ** 2).mean().backward()
        return w.grad

    expect_mistake(exercises.check_minibatch_grad(no_two), "the factor 2 is missing")
    expect_mistake(exercises.check_minibatch_grad(summed), "the gradient is summed over the batch")
    expect_mistake(exercises.check_minibatch_grad(everything), "the whole data set was used")
    assert exercises.check_minibatch_grad(by_autograd).passed


def test_nesterov_step_mistakes():
    def heavy_ball(w, grad, buf, lr, momentum):
        buf = grad.clone() if buf is None else momentum * buf + grad
        return w - lr * buf, buf

    def stale(w, grad, buf, lr, momentum):
        old = grad if buf is None else buf
        new = grad.clone() if buf is None else momentum * buf + grad
        return w - lr * (grad + momentum * old), new

    expect_mistake(exercises.check_nesterov_step(heavy_ball), "this is plain heavy-ball momentum")
    expect_mistake(exercises.check_nesterov_step(stale), "the correction uses the buffer from before this step")


def test_yogi_second_moment_mistakes():
    def adams(v, grad, beta2):  # what a learner fresh from Adam writes
        return beta2 * v + (1 - beta2) * grad**2

    def sign_reversed(v, grad, beta2):
        return v + (1 - beta2) * torch.sign(v - grad**2) * grad**2

    def sign_of_zero_is_one(v, grad, beta2):
        direction = torch.where(v > grad**2, 1.0, -1.0)  # v == grad**2 counts as "below"
        return v - (1 - beta2) * direction * grad**2

    def in_place(v, grad, beta2):  # changes v in place and returns it: allowed
        v.addcmul_(torch.sign(v - grad * grad), grad * grad, value=-(1 - beta2))
        return v

    expect_mistake(exercises.check_yogi_second_moment(adams), "this is Adam's update")
    expect_mistake(exercises.check_yogi_second_moment(sign_reversed), "the sign is the wrong way round")
    result = exercises.check_yogi_second_moment(sign_of_zero_is_one)
    assert not result.passed and "v exactly equal to grad**2" in result.message
    assert exercises.check_yogi_second_moment(in_place).passed


def test_least_squares_forms_and_mistakes():
    def via_inverse(X, y):
        return torch.inverse(X.T @ X) @ X.T @ y

    def via_lstsq(X, y):
        return torch.linalg.lstsq(X, y[:, None]).solution.squeeze(1)

    def via_numpy(X, y):
        return np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]

    def rhs_only(X, y):
        return X.T @ y

    def one_at_a_time(X, y):
        return torch.stack([(X[:, j] @ y) / (X[:, j] @ X[:, j]) for j in range(X.shape[1])])

    def gradient_descent(X, y):  # stops early: close, but not the solution
        w = torch.zeros(X.shape[1], dtype=X.dtype)
        for _ in range(20):
            w = w - 0.01 * 2 * X.T @ (X @ w - y) / len(y)
        return w

    for right in (via_inverse, via_lstsq, via_numpy):
        assert exercises.check_least_squares(right).passed, right.__name__
    expect_mistake(exercises.check_least_squares(rhs_only), "X.T @ y was returned without solving")
    expect_mistake(exercises.check_least_squares(one_at_a_time), "each feature was fitted on its own")
    result = exercises.check_least_squares(gradient_descent)
    assert not result.passed and "expected" in result.message


def test_knn_predict_forms_and_mistakes():
    def with_a_loop(train_x, train_y, x, k):
        out = []
        for q in x:
            d = ((train_x - q) ** 2).sum(dim=1)  # squared distances rank the same as distances
            order = d.argsort()[:k]
            out.append(Counter(train_y[order].tolist()).most_common(1)[0][0])
        return torch.tensor(out)

    def with_mode(train_x, train_y, x, k):
        idx = torch.cdist(x, train_x).argsort(dim=1)[:, :k]
        return torch.mode(train_y[idx], dim=1).values

    def farthest(train_x, train_y, x, k):
        idx = torch.cdist(x, train_x).argsort(dim=1, descending=True)[:, :k]
        return torch.mode(train_y[idx], dim=1).values

    def everyone(train_x, train_y, x, k):
        return torch.full((len(x),), int(torch.bincount(train_y).argmax()))

    def city_block(train_x, train_y, x, k):
        d = (x[:, None, :] - train_x[None, :, :]).abs().sum(dim=2)
        return torch.mode(train_y[d.argsort(dim=1)[:, :k]], dim=1).values

    assert exercises.check_knn_predict(with_a_loop).passed
    assert exercises.check_knn_predict(with_mode).passed
    expect_mistake(exercises.check_knn_predict(farthest), "the k farthest points voted")
    expect_mistake(exercises.check_knn_predict(everyone), "every training point voted")
    expect_mistake(exercises.check_knn_predict(city_block), "the distance is not Euclidean")


def test_knn_cases_have_no_tied_votes():
    """A learner's tie-breaking rule (torch.mode, Counter, argmax) must not matter: no reference vote is tied."""
    for label, (train_x, train_y, x, k) in exercises.KNN_PREDICT.cases:
        nearest = torch.cdist(x, train_x).topk(k, dim=1, largest=False).indices
        counts = torch.stack([torch.bincount(v, minlength=int(train_y.max()) + 1) for v in train_y[nearest]])
        top = counts.sort(dim=1, descending=True).values
        assert k == 1 or (top[:, 0] > top[:, 1]).all(), f"a tied vote in the case {label!r}"
