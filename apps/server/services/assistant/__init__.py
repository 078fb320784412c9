"""The reply assistant's use cases: model calls (`gateway`), knowledge-base articles
(`articles`), and reply drafts (`drafts`: the run in `composer`, its tools in `tools`, its
guardrails in `cleaning` and `budget`, its telemetry in `telemetry`, its prompt from a
`prompt_source`)."""
