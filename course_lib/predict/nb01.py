"""Prediction questions of notebook 01 (asked with ``predict.ask(id)``; ids start with "01.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="01.too-large-lr",
        prompt=(
            "The next cell sets the explorer's curvature to L = 4 and tries several learning rates on "
            "f(w) = L w² / 2. Which of these learning rates makes gradient descent diverge?"
        ),
        choices=("0.1", "0.3", "0.45", "0.6"),
        answer=3,
        why_not={
            0: "At 0.1 each step multiplies w by 1 - 0.1 · 4 = 0.6: it converges straight in.",
            1: (
                "0.3 is above 1/L = 0.25, so each step overshoots the minimum, but the factor 1 - 0.3 · 4 = -0.2 "
                "is smaller than 1 in size: the run oscillates and still converges, fast."
            ),
            2: (
                "0.45 is close to the threshold but below it: the factor 1 - 0.45 · 4 = -0.8 still shrinks |w| at "
                "every step, slowly and with a sign flip each time."
            ),
        },
        explanation=(
            "The threshold is 2/L = 2/4 = 0.5. At 0.6 each step multiplies w by 1 - 0.6 · 4 = -1.4, so |w| grows "
            "by 40% per step. A steeper bowl (larger L) needs a smaller learning rate: the threshold halves when "
            "the curvature doubles."
        ),
    ),
    Question(
        id="01.one-step-lr",
        prompt=(
            "The Hessian of the regression loss is [[2, 0], [0, 2]]: curvature 2 in every direction. Starting "
            "from (w, b) = (0, 0), which learning rate takes gradient descent to the minimum in a single step?"
        ),
        answer=0.5,
        tolerance=0.01,
        explanation=(
            "Along each eigen-direction a step multiplies the distance to the minimum by 1 - lr · λ. With λ = 2 "
            "in every direction, lr = 1/λ = 0.5 makes that factor 0 everywhere at once. In a ravine, where the "
            "curvatures differ, no single learning rate can do this."
        ),
    ),
    Question(
        id="01.saddle-start",
        prompt=(
            "On f(x, y) = x²/2 + y⁴/4 - y²/2, gradient descent starts at (-1.5, 0), exactly on the line y = 0, "
            "with lr = 0.1. Where is it after 400 steps?"
        ),
        choices=(
            "at the minimum (0, 1)",
            "at the saddle point (0, 0)",
            "far away: it diverges",
            "still near the start, (-1.5, 0)",
        ),
        answer=1,
        why_not={
            0: (
                "To reach (0, 1) it would need a push in y, but on the line y = 0 the y-part of the gradient, "
                "y³ - y, is exactly 0: nothing ever moves y."
            ),
            2: "lr = 0.1 is far below 2 divided by the curvature 1 along x, so the x-part converges.",
            3: "Along x the loss is x²/2, an ordinary bowl: x shrinks by the factor 0.9 each step.",
        },
        explanation=(
            "On y = 0 the gradient is (x, 0): gradient descent only ever moves x, which shrinks by the factor 0.9 "
            "each step, and y stays exactly 0. So it converges to the saddle point, where the gradient vanishes, "
            "although the saddle is a maximum along y."
        ),
    ),
]
