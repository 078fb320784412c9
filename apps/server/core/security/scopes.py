"""The permissions a token or API key can carry."""

from enum import StrEnum


class Scope(StrEnum):
    predict = "predict"
    jobs = "jobs"
    models_read = "models:read"
    models_write = "models:write"
    monitoring_read = "monitoring:read"
    users_admin = "users:admin"
    drafts = "drafts"
    articles_write = "articles:write"


SCOPE_DESCRIPTIONS: dict[str, str] = {
    Scope.predict: "Triage tickets and give feedback on predictions.",
    Scope.jobs: "Submit, read and cancel your batch jobs.",
    Scope.models_read: "Read models, versions, traffic policies and training runs.",
    Scope.models_write: "Register, promote, roll back, set traffic, start training.",
    Scope.monitoring_read: "Read drift and quality reports.",
    Scope.users_admin: "Manage users; read and cancel every user's jobs and keys.",
    Scope.drafts: "Draft replies with the assistant; read and search knowledge-base articles.",
    Scope.articles_write: "Add, change and delete knowledge-base articles.",
}

ALL_SCOPES: frozenset[str] = frozenset(Scope)
