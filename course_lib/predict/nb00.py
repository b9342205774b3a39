"""Prediction questions of notebook 00 (asked with ``predict.ask(id)``; ids start with "00.")."""

from course_lib.predict import Question

QUESTIONS: list[Question] = []
