"""Projection: each layer's activations mapped linearly to 3D positions for display."""
