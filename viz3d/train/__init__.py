"""Training: datasets, preset models, the training session and the background training thread."""
