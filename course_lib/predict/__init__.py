"""Predict, then run: the learner commits to an answer before the cell that reveals the truth.

Each question lives in this package (one module per notebook, ``nb01.py`` ... ``nb08.py``), not in the notebook,
so the answer is not printed next to the question. A notebook asks it with one line::

    from course_lib import predict
    predict.ask("01.too-large-lr")          # shows the question, the choices and a Check button

After "Check" the learner sees whether the prediction was right, why (the explanation is shown for right and
wrong answers alike, and a wrong choice gets a word on why it is tempting), and the next cell runs the
experiment that shows the truth. ``predict.answer(id, value)`` does the same without a widget (value: the
choice's letter "a", "b", ... or its text, or a number), and returns the same coloured ``CheckResult`` the
exercises use. Introduced in notebook 00.
"""

from __future__ import annotations

import html
import importlib
import math
import string
import textwrap
from dataclasses import dataclass, field
from typing import Any

from course_lib.checking import CheckResult

__all__ = ["Question", "Prediction", "ask", "answer", "get", "ids"]

TEXT_WIDTH = 100  # characters per line of a question's plain text (JupyterLab fits about 110 beside its sidebar)
_BANKS = ("nb00", "nb01", "nb02", "nb03", "nb04", "nb05", "nb06", "nb07", "nb08")


@dataclass(frozen=True)
class Question:
    """One prediction question.

    ``choices`` given: multiple choice, ``answer`` is the index of the right choice, and ``why_not`` may map a
    wrong choice's index to what makes it tempting and why it is wrong. ``choices`` empty: a number, right when
    within ``tolerance`` of ``answer`` (absolute), with ``unit`` printed after it.
    """

    id: str
    prompt: str
    explanation: str
    answer: float | int
    choices: tuple[str, ...] = ()
    why_not: dict[int, str] = field(default_factory=dict)
    tolerance: float = 0.0
    unit: str = ""

    def __post_init__(self) -> None:
        if self.choices:
            if not (isinstance(self.answer, int) and 0 <= self.answer < len(self.choices)):
                raise ValueError(f"question {self.id!r}: answer must index one of its {len(self.choices)} choices")
            if len(self.choices) > len(string.ascii_lowercase):
                raise ValueError(f"question {self.id!r}: too many choices")
            bad = [k for k in self.why_not if not 0 <= k < len(self.choices) or k == self.answer]
            if bad:
                raise ValueError(f"question {self.id!r}: why_not names choices {bad} that are not wrong choices")
        elif self.tolerance <= 0 or not math.isfinite(float(self.answer)):
            raise ValueError(f"question {self.id!r}: a numeric question needs a finite answer and a tolerance > 0")

    @property
    def letters(self) -> list[str]:
        return list(string.ascii_lowercase[: len(self.choices)])

    def as_text(self) -> str:
        """The question as plain text: what a reader without a running kernel sees in place of the widget."""
        # wrapped at TEXT_WIDTH: a notebook's text output breaks longer lines anywhere, even inside a word
        wrap = dict(width=TEXT_WIDTH, break_on_hyphens=False, break_long_words=False)  # "one-cycle" stays whole
        lines = textwrap.wrap(f"Predict before you run the next cell: {self.prompt}", **wrap)
        for letter, choice in zip(self.letters, self.choices, strict=True):
            lines += textwrap.wrap(f"  ({letter}) {choice}", subsequent_indent="      ", **wrap)
        if not self.choices:
            lines.append(f"  (a number{', in ' + self.unit if self.unit else ''})")
        lines.append("Run this cell to answer it.")
        return "\n".join(lines)

    def _index(self, value: Any) -> int:
        """A choice given as its letter, its index or its text, as an index; ValueError otherwise."""
        if isinstance(value, bool):
            raise ValueError(f"answer with a letter {', '.join(self.letters)} or the choice's text, not {value!r}")
        if isinstance(value, int) and 0 <= value < len(self.choices):
            return value
        if isinstance(value, str):
            text = value.strip()
            key = text.lower().strip("()")
            if key in self.letters:
                return self.letters.index(key)
            for i, choice in enumerate(self.choices):
                if text.lower() == choice.lower():
                    return i
        raise ValueError(
            f"{value!r} is not one of the choices; answer with a letter ({', '.join(self.letters)}) "
            "or the text of a choice"
        )

    def check(self, value: Any) -> CheckResult:
        """Feedback on a prediction: right or not, then why. Invalid input gets a message, never a traceback."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return CheckResult(False, "Make a prediction first, then check it.", status="not done")
        if self.choices:
            try:
                picked = self._index(value)
            except ValueError as err:
                return CheckResult(False, str(err), status="not done")
            right = self.choices[self.answer]
            if picked == self.answer:
                return CheckResult(True, f"Yes: {right}.\n{self.explanation}")
            lines = [f"Not quite: you picked ({self.letters[picked]}) {self.choices[picked]}."]
            if picked in self.why_not:
                lines.append(self.why_not[picked])
            lines.append(f"The answer is ({self.letters[self.answer]}) {right}.\n{self.explanation}")
            return CheckResult(False, "\n".join(lines))
        try:
            number = float(value)
        except (TypeError, ValueError):
            return CheckResult(False, f"{value!r} is not a number; type a number such as 0.5", status="not done")
        if not math.isfinite(number):
            return CheckResult(False, f"{value!r} is not a finite number", status="not done")
        unit = f" {self.unit}" if self.unit else ""
        truth = f"{self.answer:.4g}{unit}"
        if abs(number - self.answer) <= self.tolerance:
            return CheckResult(True, f"Yes: {truth} (you said {number:.4g}).\n{self.explanation}")
        direction = "high" if number > self.answer else "low"
        return CheckResult(
            False, f"Not quite: {number:.4g}{unit} is too {direction}; the answer is {truth}.\n{self.explanation}"
        )


def _registry() -> dict[str, Question]:
    questions: dict[str, Question] = {}
    for bank in _BANKS:
        module = importlib.import_module(f"course_lib.predict.{bank}")
        for q in module.QUESTIONS:
            if q.id in questions:
                raise ValueError(f"two questions share the id {q.id!r}")
            questions[q.id] = q
    return questions


def ids() -> list[str]:
    """Every question's id, in course order."""
    return list(_registry())


def get(question_id: str) -> Question:
    """The question with this id; an unknown id raises ValueError listing the known ones."""
    questions = _registry()
    if question_id not in questions:
        raise ValueError(f"no question {question_id!r}; the questions are: {', '.join(questions)}")
    return questions[question_id]


def answer(question_id: str, value: Any) -> CheckResult:
    """Check a prediction without the widget: ``answer("01.too-large-lr", "b")`` or a number."""
    return get(question_id).check(value)


class Prediction:
    """The widget: the question, the choices (or a number box), a Check button and the feedback.

    ``controls``: "choice" (RadioButtons, or a Text box for numbers) and "check" (the Button); ``result``: the
    last CheckResult, or None before the first check. ``check()`` does what the button does.
    """

    def __init__(self, question: Question) -> None:
        import ipywidgets as w

        self.question = question
        self.result: CheckResult | None = None
        prompt = w.HTML(
            '<div style="font-family:sans-serif;font-size:14px;margin-bottom:4px">'
            f"<b>Predict before you run the next cell.</b> {html.escape(question.prompt)}</div>"
        )
        if question.choices:
            labels = zip(question.letters, question.choices, strict=True)
            options = [(f"({letter}) {text}", i) for i, (letter, text) in enumerate(labels)]
            choice = w.RadioButtons(options=options, value=None, layout=w.Layout(width="auto"))
        else:
            placeholder = "a number" + (f" ({question.unit})" if question.unit else "")
            choice = w.Text(placeholder=placeholder, description="your answer", layout=w.Layout(width="300px"))
        self.controls = {"choice": choice, "check": w.Button(description="Check", button_style="info")}
        self.controls["check"].on_click(lambda _: self.check())
        self.feedback = w.HTML()
        self.widget = w.VBox([prompt, choice, self.controls["check"], self.feedback])

    def check(self) -> CheckResult:
        """Check the current choice and show the feedback under it."""
        self.result = self.question.check(self.controls["choice"].value)
        self.feedback.value = self.result._repr_html_()
        return self.result

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.question.as_text()
        return bundle


def ask(question_id: str) -> Prediction:
    """Show the question with this id as a widget; returns it (the notebook displays it)."""
    return Prediction(get(question_id))
