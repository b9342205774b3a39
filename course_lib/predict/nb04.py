"""Prediction questions of notebook 04 (asked with ``predict.ask(id)``; ids start with "04.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="04.rotated-ravine",
        prompt=(
            "On the ravine of condition number 100, lying along the x axis, Adagrad (lr 1) and RMSprop (lr 0.05) "
            "beat gradient descent (lr 0.099, notebook 03's best rate 2/(0.2 + 20)) by many orders of magnitude "
            "in 100 steps. Now the same valley is turned by 45 degrees and the same three runs are repeated. What "
            "happens?"
        ),
        choices=(
            "Adagrad and RMSprop still end far below gradient descent",
            "their advantage is gone: all three end at losses of the same order, between 0.3 and 1",
            "Adagrad and RMSprop now diverge",
        ),
        answer=1,
        why_not={
            0: (
                "The valley is just as narrow as before, but its flat and steep directions are no longer the "
                "coordinates, and the division acts on coordinates."
            ),
            2: (
                "Their steps are about lr times the sign of the gradient, so they stay bounded; they only lose "
                "the trick that made them fast."
            ),
        },
        explanation=(
            "Turned by 45 degrees, each coordinate's gradient mixes the steep and the flat direction, so both "
            "coordinates see gradients of similar size. Dividing each by its own root-mean-square then cannot slow "
            "the steep direction and speed up the flat one: it acts on x and y, not on the valley's axes. All three "
            "runs end at losses between about 0.4 and 0.94, and RMSprop is the worst of them."
        ),
    ),
    Question(
        id="04.adagrad-step-100",
        prompt=(
            "Adagrad with lr = 0.1 (eps negligible), in a coordinate whose gradient is 0.01 at every step. How "
            "long is the 100th step, the distance that coordinate moves from step 99 to step 100?"
        ),
        answer=0.01,
        tolerance=0.0015,
        explanation=(
            "After 100 steps the sum of squared gradients is s = 100 · 0.01² = 0.01, so the multiplier is "
            "0.1 / √0.01 = 1 and the step is 1 · 0.01 = 0.01. That is 0.1 / √100, exactly what a coordinate with "
            "gradient 1 (or any other constant size) moves at step 100: the multiplier is large where the gradient "
            "is small, and the two cancel. The step is lr · sign(g) / √t, whatever the gradient's size."
        ),
    ),
    Question(
        id="04.rmsprop-first-step",
        prompt=(
            "Both with lr = 0.01 and the same first gradient 0.5: how long is RMSprop's first step (alpha = 0.99, "
            "eps negligible) compared with Adagrad's first step?"
        ),
        choices=(
            "the same: both divide the gradient by the root of its own square",
            "ten times as long",
            "a tenth as long",
            "it depends on the gradient's size",
        ),
        answer=1,
        why_not={
            0: (
                "Adagrad divides by √(g²) = |g|; RMSprop's average starts at zero and holds only (1 - alpha) g² "
                "after one step, so it divides by √(1 - alpha) |g|, ten times less."
            ),
            2: "The average of squares is smaller than the sum after one step, not larger, so the step is longer.",
            3: "The gradient's size cancels between the numerator g and the denominator √((1 - alpha) g²).",
        },
        explanation=(
            "Adagrad's first step is lr · g / √(g²) = lr = 0.01. RMSprop's average starts at zero, so after one "
            "step v = (1 - alpha) g² = 0.01 g², and the step is lr · g / (0.1 |g|) = 10 lr = 0.1, whatever the "
            "gradient's size. Nothing corrects for the average's start at zero: that is the bias Adam corrects."
        ),
    ),
]
