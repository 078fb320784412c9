"""Ticket data: the labelled dataset type, a seeded generator with a drift control, ingestion."""
