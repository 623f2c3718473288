"""A user's own model, as the README's "Watching your own model" shows it: layer choice, the live
view's accuracy, and errors that reach the terminal before any window opens."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import viz3d
from viz3d.errors import Viz3dError


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))


# --- layers=[...] ------------------------------------------------------------------------------------


def test_any_layer_name_that_matches_nothing_is_an_error_naming_it():
    with pytest.raises(Viz3dError) as caught:
        viz3d.watch(mlp(), torch.randn(6, 2), layers=["0", "nope", "9"])
    message = str(caught.value)
    assert "['nope', '9']" in message and "the model's modules are: 0, 1, 2, 3, 4" in message
    assert "\n" not in message
    with pytest.raises(Viz3dError, match=r"\['blocks\.\*'\]"):  # a glob that matches nothing, too
        viz3d.watch(mlp(), torch.randn(6, 2), layers=["**0", "blocks.*"])


def test_names_globs_and_types_that_all_match_are_watched():
    tracker = viz3d.watch(mlp(), torch.randn(6, 2), layers=["0", "*4", nn.Conv2d])  # a type may match nothing
    assert tracker.snapshot().layer_names == ["input", "0", "4"]
