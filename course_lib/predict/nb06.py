"""Prediction questions of notebook 06 (asked with ``predict.ask(id)``; ids start with "06.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="06.untrained-loss",
        prompt=(
            "The untrained network's logits are all small, so its softmax gives each of the 10 digits a "
            "probability close to 1/10. What mean cross-entropy loss will it have on the training set?"
        ),
        answer=2.303,
        tolerance=0.1,
        unit="",
        explanation=(
            "The loss of one image is -log of the probability given to its true class. If every class gets about "
            "1/10, that is -log(1/10) = log 10 = 2.303 for every image, so the mean is about 2.3 too (the "
            "measured 2.32 is a little higher because the small logits are not exactly equal). A first loss far "
            "from log K is a cheap sign that something is wrong: labels, scaling or initialization."
        ),
    ),
    Question(
        id="06.double-softmax",
        prompt=(
            "A model ends in nn.Softmax and is trained with nn.CrossEntropyLoss. On one image it is certain and "
            "right: its outputs are 1 for the true digit and 0 for the other nine. The loss treats these outputs "
            "as logits and applies softmax to them again. What loss does it report?"
        ),
        choices=(
            "0, as for any certain and right prediction",
            "about 1.46",
            "log 10 = 2.30, as for a model that knows nothing",
            "infinity or NaN",
        ),
        answer=1,
        why_not={
            0: "A loss of 0 needs the true class's logit to be far above the others; here it is only 1 above them.",
            2: "That would need all ten outputs to be equal; the true class is still 1 above the rest.",
            3: "Nothing overflows: the outputs lie between 0 and 1, so softmax and its log are well behaved.",
        },
        explanation=(
            "The second softmax sees logits (1, 0, ..., 0) and gives the true class e / (e + 9) = 0.23, so the "
            "loss is log(1 + 9/e) = 1.461. No output can be more than 1 above another, so that is the floor: the "
            "loss can never go lower, however right the model is. Worse, a confidently wrong model gets a gradient "
            "near 0 through the extra softmax (about 1e-4 for logits +-5), so it barely learns from its worst mistakes."
        ),
    ),
    Question(
        id="06.constant-at-suggestion",
        prompt=(
            "Three ways to train for 10 epochs with SGD and momentum 0.9: a constant rate equal to the range "
            "test's suggestion, a constant rate of a tenth of it, and a one-cycle schedule that peaks at the "
            "suggestion. Which one ends with clearly the worst test accuracy?"
        ),
        choices=(
            "constant at the suggestion",
            "constant at a tenth of the suggestion",
            "one-cycle peaking at the suggestion",
            "none: all three end within a few test images of each other",
        ),
        answer=0,
        why_not={
            1: "A tenth of the suggestion is an ordinary, safe rate here (0.02 with momentum 0.9).",
            2: "One-cycle reaches the peak only after a warm-up from a 25 times smaller rate, and then decays it.",
            3: "The range test tried each rate for a single batch; it does not promise that a rate is safe for a "
            "whole run.",
        },
        explanation=(
            "In the range test each rate is used for one batch only, so the suggestion says where the loss falls "
            "fastest in a short sweep, not that the rate is safe for 400 steps in a row. Held constant with "
            "momentum 0.9 (a steady step ten times the rate) it throws the weights far out and the test loss jumps to "
            "tens or hundreds. One-cycle reaches the same peak only after a warm-up, then decays it."
        ),
    ),
]
