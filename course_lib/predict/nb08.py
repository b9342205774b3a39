"""Prediction questions of notebook 08 (asked with ``predict.ask(id)``; ids start with "08.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="08.adam-tuned-rate",
        prompt=(
            "Adam's default learning rate is 0.001, and with it the CNN reaches 62% on MNIST-1D validation in 30 "
            "epochs. Tuning tries 0.001, 0.003, 0.01, 0.03 and 0.1 and keeps the best on validation. Which?"
        ),
        choices=("0.001, the default", "0.003", "0.01", "0.03", "0.1"),
        answer=3,
        why_not={
            0: "The default is a safe starting point for large networks, not a tuned value: here, with 5,210 "
            "weights and 30 short epochs, it moves the weights too slowly.",
            1: "Better than the default, but still too slow to finish in 30 epochs.",
            2: "Close: 0.01 is good, and one step higher is better still on this problem.",
            4: "Adam moves each weight by up to about lr per step; at 0.1 the steps are too big for the "
            "network's small weights, and accuracy falls.",
        },
        explanation=(
            "Adam moves each weight by about lr per step, whatever the gradient's size. This network is small and "
            "trains for only 1,020 steps, so a step of 0.001 is too timid; 0.03 is the best of the grid, 30 times "
            "the default. The default is a place to start a search, not its answer."
        ),
    ),
    Question(
        id="08.batch-steps",
        prompt=(
            "Momentum with the rate scaled linearly with the batch (0.1 at batch 100) and two epochs of warmup: "
            "batch 100 needs about 360 steps to reach 80% validation accuracy. How many does batch 1,600, at rate "
            "1.6, need?"
        ),
        choices=(
            "about 23: 16 times fewer, as the linear scaling rule promises",
            "about 100: fewer, but not 16 times fewer",
            "about 360: the same number of steps",
            "it never gets there within 2,000 steps",
        ),
        answer=3,
        why_not={
            0: "The rule holds only while the batch is below the noise scale, a few hundred here; beyond it the "
            "gradient is already accurate and a bigger batch cannot replace many steps.",
            1: "Held at rate 0.1, batch 1,600 needs about 210 steps; at rate 1.6 the trouble is the rate itself.",
            2: "Held at rate 0.1, big batches do need about as many steps as batch 200; but here the rate is 16 "
            "times larger.",
        },
        explanation=(
            "A rate of 1.6 is far beyond what this network tolerates with momentum 0.9, warmup or not: the runs at "
            "batch 800 and 1,600 never reach 80%. The linear scaling rule assumes a bigger batch only removes "
            "noise; past the noise scale, and past the largest stable rate, it stops holding."
        ),
    )
]
