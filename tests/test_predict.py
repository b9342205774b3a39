"""Predict-then-run questions: every question is well formed, its right answer passes and every wrong one fails
with an explanation, the widget gives the same feedback as the function, and every notebook asks questions that
exist (at least two in each of notebooks 01 to 08)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_lib import predict
from course_lib.predict import Question

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
ASK = re.compile(r"""predict\.ask\(\s*["']([^"']+)["']\s*\)""")
QUESTIONS = [predict.get(i) for i in predict.ids()]


def asked(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return [m for c in cells if c["cell_type"] == "code" for m in ASK.findall("".join(c["source"]))]


def test_ids_are_unique_and_name_their_notebook():
    ids = predict.ids()
    assert len(ids) == len(set(ids))
    for q in QUESTIONS:
        assert re.fullmatch(r"\d\d\.[a-z0-9-]+", q.id), q.id
        assert q.prompt.strip() and len(q.explanation.split()) >= 8, f"{q.id}: say why, in a sentence or two"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("0[0-9]_*.ipynb")), ids=lambda p: p.name)
def test_every_question_a_notebook_asks_exists_and_belongs_to_it(path):
    number = path.name[:2]
    for question_id in asked(path):
        assert predict.get(question_id).id.startswith(number + "."), f"{question_id} asked in {path.name}"
    if "01" <= number <= "08":
        assert len(set(asked(path))) >= 2, f"{path.name}: at least two prediction questions"


def test_every_question_is_asked_somewhere():
    everywhere = {q for path in NOTEBOOKS.glob("*.ipynb") for q in asked(path)}
    assert set(predict.ids()) <= everywhere, f"questions never asked: {set(predict.ids()) - everywhere}"


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.id)
def test_right_answer_passes_and_wrong_ones_fail_with_the_explanation(q):
    if q.choices:
        right = q.check(q.letters[q.answer])
        assert right.passed and q.explanation in right.message
        assert q.check(q.choices[q.answer].upper()).passed  # the choice's text, any case
        for k, letter in enumerate(q.letters):
            if k != q.answer:
                wrong = q.check(f"({letter})")
                assert not wrong.passed and wrong.status == "failed"
                assert q.explanation in wrong.message and q.choices[q.answer] in wrong.message
                if k in q.why_not:
                    assert q.why_not[k] in wrong.message
    else:
        assert q.check(q.answer).passed and q.check(str(q.answer + 0.9 * q.tolerance)).passed
        too_high = q.check(q.answer + 1.1 * q.tolerance)
        assert not too_high.passed and "too high" in too_high.message and q.explanation in too_high.message
        assert "too low" in q.check(q.answer - 1.1 * q.tolerance).message


def test_input_that_is_no_answer_gets_a_message_not_a_traceback():
    choice = Question("99.c", "Which?", "Because the rule multiplies by 1 - lr L every step.", 1, ("up", "down"))
    number = Question("99.n", "How far?", "Because the rule multiplies by 1 - lr L every step.", 0.5, tolerance=0.1)
    for q, value in [
        (choice, None),
        (choice, ""),
        (choice, "z"),
        (choice, 7),
        (choice, True),
        (number, "abc"),
        (number, float("nan")),
        (number, None),
    ]:
        result = q.check(value)
        assert not result.passed and result.status == "not done", (q.id, value)
    assert choice.check(1).passed and choice.check("B").passed and choice.check(" down ").passed


def test_malformed_questions_are_refused():
    with pytest.raises(ValueError, match="answer must index"):
        Question("99.x", "?", "because", 2, ("a", "b"))
    with pytest.raises(ValueError, match="why_not"):
        Question("99.x", "?", "because", 0, ("a", "b"), why_not={0: "the right one"})
    with pytest.raises(ValueError, match="tolerance"):
        Question("99.x", "?", "because", 1.0)
    with pytest.raises(ValueError, match="no question"):
        predict.get("99.not-there")


def test_the_widget_checks_what_the_learner_picked():
    q = QUESTIONS[0] if QUESTIONS else Question("99.c", "Which?", "Because.", 1, ("up", "down"))
    widget = predict.Prediction(q)
    assert widget.check().status == "not done"  # nothing picked yet
    if q.choices:
        widget.controls["choice"].value = q.answer
    else:
        widget.controls["choice"].value = str(q.answer)
    widget.controls["check"].click()
    assert widget.result.passed and "Correct" in widget.feedback.value
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    text = bundle["text/plain"]
    assert text.startswith("Predict before you run the next cell") and q.prompt in " ".join(text.split("\n"))
    assert max(map(len, text.splitlines())) <= predict.TEXT_WIDTH, "a notebook's text output breaks inside words"


@pytest.mark.parametrize("question_id", predict.ids())
def test_a_questions_plain_text_fits_a_notebook_page_and_keeps_its_words_whole(question_id):
    """An untrusted notebook shows the question's plain text, and JupyterLab breaks a longer line anywhere."""
    q = predict.get(question_id)
    lines = q.as_text().splitlines()
    assert max(map(len, lines)) <= predict.TEXT_WIDTH
    words = " ".join(line.strip() for line in lines).split()
    assert " ".join(q.prompt.split()) in " ".join(words), "the prompt, word for word"
    assert not any(line.rstrip().endswith("-") for line in lines), "a line ends inside a hyphenated word"
