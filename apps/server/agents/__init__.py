"""The AI of the service: ticket data, training, validation gates, artifacts and inference.

Plain Python with numpy, scipy and scikit-learn only. Nothing here imports FastAPI, Celery or
SQL, so the same code runs in the API, in a worker, in a notebook and in a test. Callers pass
configuration in (see `server.agents.training.config`), the database registry lives elsewhere.
"""
