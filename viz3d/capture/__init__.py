"""Capture: forward hooks on the watched modules, the probe set, and the `Snapshot` they produce."""
