"""Prediction questions of notebook 05 (asked with ``predict.ask(id)``; ids start with "05.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = [
    Question(
        id="05.loss-times-1000",
        prompt=(
            "We minimise the ravine loss f, and then 1000 times f, from the same start: 50 steps of Adam (lr 0.1) "
            "and 50 steps of SGD (lr 0.01). What does multiplying the loss by 1000 do?"
        ),
        choices=(
            "Adam takes the same path; SGD's steps become 1000 times larger",
            "both take steps 1000 times larger",
            "Adam's steps become about sqrt(1000), 32 times, larger; SGD's 1000 times",
            "neither changes: the minimum is in the same place",
        ),
        answer=0,
        why_not={
            1: "That is SGD's behaviour only: its step is lr times the gradient. Adam divides by a root-mean-square "
            "of the gradients, which grows 1000 times too.",
            2: "v, the average of squared gradients, grows 1000² times, so its square root grows 1000 times, "
            "exactly as m does.",
            3: "The minimum does not move, but the steps depend on the gradients, which are 1000 times larger.",
        },
        explanation=(
            "Every gradient is 1000 times larger, so m grows 1000 times and v a million times: m / sqrt(v) does not "
            "change, and only eps, now relatively smaller, makes a tiny difference. SGD's step lr * g grows 1000 "
            "times, which puts lr 0.01 far beyond its stability limit 2/L: it diverges."
        ),
    ),
    Question(
        id="05.uncorrected-first-step",
        prompt=(
            "Without bias correction, Adam's first step would be lr * m_1 / sqrt(v_1). At the default betas "
            "(0.9, 0.999), how many times lr is that step? (Any gradient: its size cancels.)"
        ),
        answer=3.162,
        tolerance=0.2,
        unit="times lr",
        explanation=(
            "m_1 = (1 - beta1) g and sqrt(v_1) = sqrt(1 - beta2) |g|, so the step is lr * 0.1 / sqrt(0.001) = "
            "3.16 lr, whatever the size of g. The correction divides m_1 by 0.1 and v_1 by 0.001, which brings the "
            "first step back to lr."
        ),
    ),
    Question(
        id="05.adamw-noisy-weight",
        prompt=(
            "Both weights want to be 1; one has quiet gradients (noise 0.1), the other noisy ones (noise 10). With "
            "Adam's L2 penalty (λ = 1) both settle at 0.5. With AdamW and the same λ, where do they settle?"
        ),
        choices=(
            "both at 0.5, as with L2",
            "the quiet weight near 1, the noisy weight near 0",
            "the noisy weight near 1, the quiet weight near 0",
            "both at 1: decoupled decay does not fight the loss",
        ),
        answer=1,
        why_not={
            0: "That would hold if the decay were divided by sqrt(v_hat) like the gradient, as in Adam's L2 form; "
            "AdamW's decay is not.",
            2: "Noise makes v_hat large, and a large v_hat makes the gradient's pull (towards 1) small, not large.",
            3: "AdamW still shrinks every weight by lr * λ of itself each step; the weight settles where the "
            "gradient step balances that shrinking.",
        },
        explanation=(
            "AdamW shrinks each weight by the same fraction lr * λ per step, but the gradient step that pulls it "
            "back to 1 is divided by sqrt(v_hat), the gradient's RMS. The noisy weight's RMS is about 10, so its "
            "pull towards 1 is weak and the decay wins: it settles near 1 / (1 + λ * RMS), close to 0; the quiet "
            "weight's RMS is small and it stays near 1."
        ),
    ),
    Question(
        id="05.reddi-which-ends-at-plus-one",
        prompt=(
            "On Reddi, Kale and Kumar's problem (optimum x = -1, worst point x = +1), after 50,000 steps with "
            "betas (0.9, 0.99), where are Adam and AMSGrad?"
        ),
        choices=(
            "both near -1, the optimum",
            "Adam near +1, AMSGrad near -1",
            "Adam near -1, AMSGrad near +1",
            "both near +1",
        ),
        answer=1,
        why_not={
            0: "Adam's moving average v forgets the rare large gradient within the block, and the many small "
            "gradients that push x up then take ever larger steps.",
            2: "AMSGrad's maximum is what protects it: dividing by the largest v so far keeps the small "
            "gradients' steps small.",
            3: "AMSGrad's steps can never grow because v has forgotten something, so the large gradient that "
            "points to -1 keeps its weight.",
        },
        explanation=(
            "Between two large gradients Adam's v decays (0.99^100 = 0.37 of it is left after a block), so the "
            "100 small gradients that push x up take ever larger steps, while the one large gradient that points "
            "down is divided by a large sqrt(v): x drifts to +1, the worst point. AMSGrad divides by the largest v "
            "so far, the ups stay small, and x reaches -1."
        ),
    ),
]
