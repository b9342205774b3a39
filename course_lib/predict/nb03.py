"""Prediction questions of notebook 03 (asked with ``predict.ask(id)``; ids start with "03.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
