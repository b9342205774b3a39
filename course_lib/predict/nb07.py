"""Prediction questions of notebook 07 (asked with ``predict.ask(id)``; ids start with "07.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="07.k-by-cross-validation",
        prompt=(
            "5-fold cross-validation scores k-NN on the digits for k from 1 to 200 (each fit has about 120 "
            "images of each digit). Which k will it pick?"
        ),
        choices=(
            "k = 1: the single nearest image is the best evidence",
            "a small k, between 3 and 9",
            "k around 50, the habit the notes mention",
            "a large k, 100 or more: more votes, less noise",
        ),
        answer=1,
        why_not={
            0: "k = 1 is close behind, but one odd-looking neighbour decides alone; a vote among a few smooths "
            "that out.",
            2: "There is no rule behind 50; with about 120 images per digit, 50 neighbours already reach far from "
            "the image being classified, and accuracy falls.",
            3: "With about 120 images per digit, 100 or 200 neighbours must include many of other digits, which "
            "outvote the right one.",
        },
        explanation=(
            "Digits of the same class sit close together, so a handful of nearest images is the best evidence: a "
            "vote among a few smooths out one odd neighbour, while dozens of neighbours start to include other "
            "digits. The curve peaks at a small k and falls steadily as k grows."
        ),
    ),
    Question(
        id="07.highest-lr-range",
        prompt=(
            "Each optimizer is trained at learning rates from 0.0001 to 10. Whose good range (rates that reach "
            "the best validation accuracy, within a point) lies highest?"
        ),
        choices=("plain SGD", "SGD with momentum 0.9", "RMSprop", "Adam"),
        answer=0,
        why_not={
            1: "With momentum 0.9 a steady gradient moves the weights by lr / (1 - 0.9) = 10 lr per step, so its "
            "good rates are about ten times smaller than plain SGD's.",
            2: "RMSprop divides each gradient by its own size, so every coordinate moves by about lr per step: "
            "it needs small rates.",
            3: "Adam divides by the gradients' size, so every coordinate moves by about lr per step: it needs "
            "small rates.",
        },
        explanation=(
            "Plain SGD's step is lr times the gradient, and each weight's gradient is much smaller than 1, so it "
            "needs the largest rates. Momentum 0.9 multiplies a steady step by ten, so its range is about ten "
            "times lower; RMSprop and Adam move each weight by about lr whatever the gradient, so theirs is lowest."
        ),
    ),
    Question(
        id="07.which-diverge",
        prompt=(
            "In the same sweep, a run diverges when its loss becomes infinite or NaN. Which optimizers have a run "
            "that diverges somewhere between 0.0001 and 10?"
        ),
        choices=(
            "all four",
            "SGD and momentum only",
            "RMSprop and Adam only",
            "none of them",
        ),
        answer=1,
        why_not={
            0: "RMSprop's and Adam's step per coordinate is bounded by a fixed multiple of lr (at most about "
            "3 lr for Adam's default betas, 10 lr for RMSprop's default alpha = 0.99), so even at 10 the weights "
            "grow at most linearly, never exponentially.",
            2: "The adaptive methods are the ones whose step is bounded; plain SGD's step grows with the gradient.",
            3: "SGD's step is lr times the gradient: at a rate too large for the sharpest direction, each step "
            "overshoots further than the last and the loss explodes.",
        },
        explanation=(
            "SGD's and momentum's steps are proportional to the gradient, so a rate too large for the sharpest "
            "direction makes every step overshoot more than the last, and the loss overflows. RMSprop and Adam "
            "divide by the gradient's size, so each step moves a weight by a fixed multiple of lr at most (about "
            "3 lr for Adam's default betas, 10 lr for RMSprop's default alpha = 0.99): the weights grow at most "
            "linearly, so the loss can grow badly, but it stays finite."
        ),
    ),
]
