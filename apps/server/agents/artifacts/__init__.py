"""Model artifacts: the files of a version (data only), its manifest and model card, and the
store that keeps versions under `<root>/<model>/<version>/` and verifies them on load."""
