"""Prediction questions of notebook 02 (asked with ``predict.ask(id)``; ids start with "02.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
