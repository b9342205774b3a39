"""Prediction questions of notebook 01 (asked with ``predict.ask(id)``; ids start with "01.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
