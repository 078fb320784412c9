"""The reply assistant's use cases: model calls (`gateway`), with more to come (drafts,
knowledge-base articles, prompt versions)."""
