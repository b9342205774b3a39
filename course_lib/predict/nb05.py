"""Prediction questions of notebook 05 (asked with ``predict.ask(id)``; ids start with "05.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
