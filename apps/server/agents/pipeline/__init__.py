"""The training pipeline: `run_training` and its command line."""
