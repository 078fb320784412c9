"""Training: splits, the scikit-learn pipeline, calibration, evaluation and validation gates."""
