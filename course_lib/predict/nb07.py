"""Prediction questions of notebook 07 (asked with ``predict.ask(id)``; ids start with "07.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
