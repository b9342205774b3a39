"""Prediction questions of notebook 02 (asked with ``predict.ask(id)``; ids start with "02.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="02.noise-4x-batch",
        prompt=(
            "The next cell measures the spread of minibatch gradients for batches of 1, 4, 16, 64 and 256 "
            "patients. When the batch grows four times (from 4 to 16, say), what happens to the spread?"
        ),
        choices=(
            "it is divided by about 4",
            "it is divided by about 2",
            "it is divided by about 16",
            "it stays about the same: the patients are the same people",
        ),
        answer=1,
        why_not={
            0: (
                "Dividing by 4 is what happens to the variance (the squared spread): an average of B independent "
                "draws has 1/B of one draw's variance, so its standard deviation shrinks only by sqrt(B)."
            ),
            2: "That would be a spread falling like 1/B², faster than averaging can ever make it.",
            3: "Each batch is a random sample: the more patients it averages, the less one odd patient moves it.",
        },
        explanation=(
            "The spread is sigma / sqrt(B), times a correction for sampling without replacement that stays close "
            "to 1 while the batch is a small part of the data. Four times the batch divides it by sqrt(4) = 2: "
            "averaging four times as many gradients halves the noise, it does not quarter it."
        ),
    ),
    Question(
        id="02.one-epoch",
        prompt=(
            "Both runs start from the same weights with lr = 0.1. After one epoch (every patient used once), which "
            "has the lower loss on the whole data set: full-batch gradient descent or minibatches of 32?"
        ),
        choices=(
            "full batch: its gradient is exact, the minibatch gradients are noisy",
            "minibatches of 32",
            "about the same: both have used every patient exactly once",
        ),
        answer=1,
        why_not={
            0: (
                "The exact gradient buys one good step; the minibatches take 14 steps of the same rate in the same "
                "epoch, and at w = 0 their noise (a spread of about 1.06 for batches of 32) is smaller than the "
                "gradient itself (length 2.42)."
            ),
            2: "They have seen the same data, but they have not moved the same distance: 14 steps against 1.",
        },
        explanation=(
            "One epoch gives the full-batch run a single step and the minibatch run 14 (442 patients in batches "
            "of 32). Far from the minimum every minibatch gradient points roughly downhill: the noise (about 1.06 "
            "at w = 0) is smaller than the gradient (2.42), so 14 steps of the same rate get much further than one."
        ),
    ),
    Question(
        id="02.best-batch-size",
        prompt=(
            "The explorer below runs minibatch SGD for 5 epochs at lr = 0.05 on two weights (442 patients). "
            "Which batch size ends closest to the minimum (the smallest loss gap)?"
        ),
        choices=("1", "16", "128", "442 (full batch)"),
        answer=1,
        why_not={
            0: (
                "A batch of 1 takes the most steps (2210), but each step is as noisy as a single patient: the "
                "weights reach the minimum's neighbourhood early and then hover at a high noise floor."
            ),
            2: "Batches of 128 are quiet, but give only 4 steps per epoch, 20 in all: not enough to arrive.",
            3: "Full batch is gradient descent: exact, but 5 steps in 5 epochs, far too few at lr = 0.05.",
        },
        explanation=(
            "Two effects pull against each other. Small batches take many steps per epoch but hover at a noise "
            "floor that grows with lr times the gradient variance divided by B; large batches are quiet but take "
            "few steps per epoch. A middle size gets enough steps and little enough noise."
        ),
    ),
]
