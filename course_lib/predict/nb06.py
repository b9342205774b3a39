"""Prediction questions of notebook 06 (asked with ``predict.ask(id)``; ids start with "06.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
