"""Predictions: sync scoring through micro-batches on workers, the prediction log, feedback.

`service` holds the per-process `PredictionService`; `batcher` the generic micro-batcher;
`records` turns scored batches into log rows and writes them; `record_buffer` writes them in
bulk from the API; `feedback` records a prediction's true label.
"""
