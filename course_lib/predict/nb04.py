"""Prediction questions of notebook 04 (asked with ``predict.ask(id)``; ids start with "04.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
