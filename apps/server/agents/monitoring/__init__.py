"""Model monitoring: drift of inputs and outputs against a version's reference, quality from
feedback, a label-free quality estimate, calibration. Plain numpy and scipy, no I/O."""
