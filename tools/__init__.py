"""Developer tools of the course: notebook execution, environment.yml generation, Jupyter helpers."""
