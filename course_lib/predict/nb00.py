"""Prediction questions of notebook 00 (asked with ``predict.ask(id)``; ids start with "00.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="00.bigger-lr",
        prompt=(
            "Section 3 minimised f(w) = (w - 3)² from w = 0 with learning rate 0.1, and the first step took w to "
            "0.6. The next cell runs the same minimisation with learning rate 0.5. Where is w after one step?"
        ),
        choices=(
            "1.5, half way to the minimum",
            "3, exactly at the minimum",
            "6, as far past the minimum as it started before it",
            "0.6, the same as with learning rate 0.1",
        ),
        answer=1,
        why_not={
            0: (
                "The gradient at w = 0 is 2(0 - 3) = -6, not -3: the 2 from differentiating the square doubles "
                "it, so the step is 0.5 · 6 = 3, not 1.5."
            ),
            2: (
                "That would be learning rate 1: the step 1 · 6 = 6 carries w from 0 to 6. At 0.5 the step is "
                "half of that."
            ),
            3: "The step is the learning rate times the gradient: five times the learning rate, five times the step.",
        },
        explanation=(
            "The update is w ← w - 0.5 · 2(w - 3). At w = 0 the gradient is -6, so w moves by 0.5 · 6 = 3 and "
            "lands on the minimum. Each step multiplies the gap w - 3 by 1 - 2 · 0.5 = 0, so w stays at 3 "
            "afterwards; notebook 01 shows what happens with learning rates beyond this one."
        ),
    ),
]
