"""Prediction questions of notebook 03 (asked with ``predict.ask(id)``; ids start with "03.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="03.untuned-momentum",
        prompt=(
            "Three runs of 40 steps on the ravine f = 0.1 x² + 2 y², from (-5, -2): gradient descent at its best "
            "learning rate 0.476; the heavy ball tuned for this ravine (lr 0.668, momentum 0.403); and the common "
            "default choice, momentum 0.9 with lr 0.05. Which run ends with the highest loss?"
        ),
        choices=(
            "gradient descent: it has no momentum at all",
            "the tuned heavy ball: its learning rate is above gradient descent's limit 2/L = 0.5",
            "momentum 0.9 with lr 0.05",
            "all three end at about the same loss",
        ),
        answer=2,
        why_not={
            0: (
                "Without momentum it crawls along the valley, but at its best learning rate it still removes about "
                "a tenth of the remaining distance per step in both directions, steadily."
            ),
            1: (
                "Above 2/L plain gradient descent would diverge, but the heavy ball's limit is 2(1 + μ)/L (section 4 "
                "says where it comes from): its memory damps each swing across the valley, so the large rate is "
                "safe and makes it fast."
            ),
            3: "Their losses after 40 steps differ by more than ten orders of magnitude.",
        },
        explanation=(
            "With momentum 0.9 the buffer remembers the last ten or so gradients, so the run swings slowly from one "
            "wall of the valley to the other and overshoots the minimum along it: after 40 steps it is still at a "
            "loss of about 0.16, against 0.003 for gradient descent and about 3e-12 for the tuned heavy ball. "
            "More momentum is not automatically better; it has to suit the learning rate and the landscape."
        ),
    ),
    Question(
        id="03.nesterov-limit",
        prompt=(
            "On a quadratic with largest curvature L, gradient descent is stable up to lr · L = 2 and the heavy "
            "ball with momentum 0.9 up to 2 (1 + 0.9) = 3.8. Where is the limit for Nesterov momentum at 0.9?"
        ),
        choices=(
            "above 3.8: looking ahead makes it more stable than the heavy ball",
            "exactly 3.8, the same as the heavy ball",
            "between 2 and 3.8",
            "below 2: lower than even plain gradient descent's limit",
        ),
        answer=3,
        why_not={
            0: (
                "Looking ahead does brake earlier when the gradient turns, which helps at ordinary learning rates; "
                "but the extra term μ b_t also makes each step longer, and near the limit that is what counts."
            ),
            1: "The two methods take different steps from the second step on, so their limits differ.",
            2: (
                "It is a natural guess between the two, but Nesterov's step γ (g + μ b) carries the new gradient "
                "with weight γ (1 + μ), not γ: a large curvature is overshot sooner than by plain gradient descent."
            ),
        },
        explanation=(
            "The new gradient enters Nesterov's step twice (in PyTorch's form, visibly: once directly and once "
            "through μ b_t), so a steep direction is overshot sooner. The limit is 2 (1 + μ) / (1 + 2 μ), about 1.36 "
            "for μ = 0.9: below plain gradient descent's 2 for every μ > 0. At a learning rate the heavy ball "
            "survives, Nesterov can blow up."
        ),
    ),
    Question(
        id="03.heavy-ball-at-0-9",
        prompt=(
            "On the quadratic of the momentum map (curvatures 1/20 and 1), gradient descent at its best learning "
            "rate multiplies the error by 0.905 per step. Fix the momentum at the usual 0.9 and give it the "
            "learning rate that suits it best. What is its factor per step?"
        ),
        choices=(
            "about 0.64, like Polyak's tuned point",
            "between 0.64 and 0.905: with a tuned learning rate momentum beats gradient descent",
            "about 0.95, worse than gradient descent's best, and the same for a wide range of learning rates",
            "above 1: momentum 0.9 diverges at every learning rate on this quadratic",
        ),
        answer=2,
        why_not={
            0: "That needs the momentum tuned too: Polyak's point has momentum 0.403, not 0.9.",
            1: (
                "Momentum does help in a ravine, but only when it suits the landscape; 0.9 remembers too much for "
                "a condition number of 20, and no learning rate fixes that."
            ),
            3: "The map is coloured along the whole momentum-0.9 row up to the boundary 2 + 2 · 0.9 = 3.8.",
        },
        explanation=(
            "For every learning rate from 0.05 to 3.8 both directions spiral, and the error shrinks by exactly "
            "√0.9 ≈ 0.949 per step: with μ = 0.9 the memory, not the learning rate, sets the pace. That is worse "
            "than gradient descent's 0.905; Polyak's pair (lr 2.67, momentum 0.403) reaches 0.635."
        ),
    ),
]
