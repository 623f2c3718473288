"""How a user's model is scored against its labels, decided once from one forward of the drawn points.

- **classes**: the output is class logits (N, C) and the labels are class indices below C (integers,
  or floats that are whole numbers): cross-entropy and argmax accuracy. An output straight out of a
  softmax (read from the functions one forward runs, as the sigmoid below) is probabilities: their negative
  log-likelihood (scored as logits, a confident right answer had read 0.58, not 0.05).
- **binary**: one output per row, (N,) or (N, 1), and labels that are all 0 or 1 (bool, int or float):
  a binary classifier. Its output is a logit (``BCEWithLogitsLoss``), or a probability when it comes
  straight out of a sigmoid (read from the torch functions one forward runs, through reshapes, so
  ``torch.sigmoid`` in ``forward`` counts and a sigmoid used inside the net does not); the prediction
  is class 1 above 0 (a probability above 0.5). A single output trained with MSE on 0/1 targets is
  read as a logit too: the threshold then is 0, not 0.5.
- **regression**: one output per row and float labels that are not all 0 or 1: the mean squared error,
  and no accuracy.
- otherwise nothing is scored, and `Scoring.why_not` says why, short enough for the panel's line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from viz3d.capture.probe import all_zero_or_one
from viz3d.capture.tracker import Token, evaluating, fields_as_dict, first_tensor, per_sample_rows
from viz3d.errors import Viz3dError, note
from viz3d.train.last_operation import last_operation
from viz3d.train.step_stats import StepStats, argmax_accuracy, classifier_stats, threshold_accuracy


@dataclass(frozen=True)
class Scoring:
    """What `scoring_for` decided: the kind of task, the targets, and how to read the output."""

    kind: str = ""  # "classes", "binary", "regression", or "" when the model is not scored
    n_classes: int = 0  # classes and binary: how many classes the points are coloured by
    why_not: str | None = None  # shown where the accuracy would be, when there is none
    targets: torch.Tensor | None = None  # what the output is compared with, shaped for the loss
    sigmoid_out: bool = False  # binary: the model's output is a probability, not a logit
    sigmoid_last: bool = False  # binary: the last watched layer holds that probability (else the logit)
    softmax_out: bool = False  # classes: the model's output is C probabilities (a softmax last), not logits
    softmax_last: bool = False  # classes: the last watched layer holds those probabilities
    last_is_output: bool = False  # the last watched layer's values are the model's output

    @property
    def class_labels(self) -> bool:
        """Whether the labels are classes (to colour by class), even where given as floats."""
        return self.kind in ("classes", "binary")

    def stats(self, output: torch.Tensor) -> StepStats:
        """Loss, and accuracy where there is one, of ``output`` against the targets."""
        if self.kind == "classes" and self.softmax_out:  # probabilities: their negative log-likelihood
            log_probs = output.float().clamp_min(PROBABILITY_FLOOR).log()
            loss = nn.functional.nll_loss(log_probs, self.targets)
            return StepStats(loss=float(loss), accuracy=argmax_accuracy(output, self.targets))
        if self.kind == "classes":
            return classifier_stats(output, self.targets)
        if self.kind == "binary":
            score = output.reshape(-1).float()
            target = self.targets.float()
            if self.sigmoid_out:
                loss = nn.functional.binary_cross_entropy(score.clamp(0.0, 1.0), target)
            else:
                loss = nn.functional.binary_cross_entropy_with_logits(score, target)
            accuracy = threshold_accuracy(score, self.targets, 0.5 if self.sigmoid_out else 0.0)
            return StepStats(loss=float(loss), accuracy=accuracy)
        return StepStats(loss=float(nn.functional.mse_loss(output.float(), self.targets.float())))

    def class_probabilities(self, output: torch.Tensor) -> torch.Tensor | None:
        """(N, 2) class probabilities of a binary classifier from the last layer's (N, 1) activations; None
        otherwise (C logits get their softmax from `TrainingSession`)."""
        if self.kind == "binary" and output.shape[1] == 1:
            positive = output[:, 0].clamp(0.0, 1.0) if self.sigmoid_last else torch.sigmoid(output[:, 0])
            return torch.stack([1.0 - positive, positive], dim=1)
        if self.kind == "classes" and output.shape[1] == self.n_classes:  # a softmax of probabilities flattens them
            return output.clamp(0.0, 1.0) if self.softmax_last else torch.softmax(output, dim=1)
        return None


def scoring_for(
    model: nn.Module,
    data: torch.Tensor,
    labels: torch.Tensor | None,
    last_layer: torch.Tensor | None = None,
    output_key: str | int | None = None,
    token: Token = "last",
) -> Scoring:
    """How to score ``model`` on ``data`` (the drawn points) against ``labels``; ``last_layer`` is the last
    watched layer's (N, D) activations on them, which colour the points by predicted class. A model that
    returns a tuple, dict or dataclass is scored on its first tensor, or on ``output[output_key]``."""
    output = model_output(model, data, output_key, token)
    if output is None and output_key is not None:
        found = _keys_of(model, data)
        raise Viz3dError(f"output_key={output_key!r}: no tensor there in what the model returns ({found})")
    if output is None:
        return Scoring(why_not="n/a (no tensor in the model's output: name it with output_key=)")
    if labels is not None and output_key is None:
        _say_which_output_is_scored(model, data)
    if labels is None:
        # No accuracy. Read as C logits on request (colour by prediction), where the last watched layer is the
        # output; nothing tells logits from a 2-D map's coordinates, so nothing else is decided from them.
        logits = output.ndim == 2 and output.shape[1] >= 2 and output.is_floating_point()
        shown = last_layer is not None and last_layer.shape[1:] == output.shape[1:]
        return Scoring(why_not="n/a (no labels)", n_classes=output.shape[1] if logits and shown else 0)
    n = len(labels)
    one_per_row = tuple(output.shape) in ((n,), (n, 1))
    last_is_output = one_per_row and last_layer is not None and _same_values(last_layer, output)
    if one_per_row and n and all_zero_or_one(labels):
        sigmoid_out = _out_of_a_sigmoid(model, data, output_key)
        return Scoring(
            "binary",
            2,
            targets=labels.to(output.device).reshape(-1),
            sigmoid_out=sigmoid_out,
            sigmoid_last=sigmoid_out and last_is_output,  # else it is the logit the sigmoid is taken of
            last_is_output=last_is_output,
        )
    if one_per_row and labels.is_floating_point():
        targets = labels.to(output.device, torch.float32).reshape(output.shape)  # not rounded to a bf16 output
        return Scoring("regression", why_not="n/a (regression)", targets=targets, last_is_output=last_is_output)
    if labels.is_complex() or (labels.is_floating_point() and not _whole_numbers(labels)):
        return Scoring(why_not="n/a (labels are not class indices)")
    if output.ndim != 2 or output.shape[1] < 2:
        shape = ", ".join(["N", *map(str, output.shape[1:])])
        hint = ": for a regression pass y.float()" if one_per_row else ""
        if one_per_row and n and set(labels.unique().tolist()) <= {-1, 1}:  # TensorFlow Playground's labels
            hint = ": for a binary classifier pass (y + 1) // 2, for a regression y.float()"
        return Scoring(why_not=f"n/a (output ({shape}) is not class logits{hint})")
    n_classes = output.shape[1]
    if n and int(labels.min()) < 0:  # drawn in the palette's last colours, under no legend: a mistake to name
        spare = int(labels.max()) + 1 < n_classes  # y + 1 fits the outputs only where one is left over
        own_class = ", or y + 1 to give -1 a class of its own" if spare else ""
        raise Viz3dError(
            f"labels: class {int(labels.min())} is negative, but the model's {n_classes} outputs are classes 0 to "
            f"{n_classes - 1}: pass (y + 1) // 2 for labels -1 and 1{own_class}"
        )
    if n and not 0 <= int(labels.min()) <= int(labels.max()) < n_classes:
        return Scoring(why_not=f"n/a (labels {int(labels.min())}..{int(labels.max())}, output has {n_classes} classes)")
    softmax_out = last_operation(model, data, output_key) == "softmax"
    shown = last_layer is not None and last_layer.shape == output.shape
    softmax_last = softmax_out and shown and torch.allclose(last_layer.float().cpu(), output.float().cpu(), atol=1e-5)
    targets = labels.to(output.device, torch.long)
    return Scoring("classes", n_classes, targets=targets, softmax_out=softmax_out, softmax_last=softmax_last)


def model_output(
    model: nn.Module, data: torch.Tensor, output_key: str | int | None = None, token: Token = "last"
) -> torch.Tensor | None:
    """The model's output on ``data`` (its first tensor, or ``output[output_key]``, and a sequence's
    (N, T, C) reduced to one token, as the watched layers take theirs), in eval mode and without autograd
    (its training mode is kept)."""
    with evaluating(model), torch.inference_mode():
        output = first_tensor(model(data), output_key)
    return per_sample_rows(output, token) if output is not None and output.ndim == 3 else output


def _raw_output(model: nn.Module, data: torch.Tensor) -> object:
    """What the model returns for two of the rows, as it is (a tensor, tuple, dict or dataclass)."""
    with evaluating(model), torch.inference_mode():
        return model(data[:2])


def _keys_of(model: nn.Module, data: torch.Tensor) -> str:
    """What ``output_key`` may name in the model's output: its keys, fields or positions."""
    output = _raw_output(model, data)
    if dataclasses.is_dataclass(output) and not isinstance(output, type):
        return "fields " + ", ".join(repr(f.name) for f in dataclasses.fields(output))
    if isinstance(output, dict):
        return "keys " + ", ".join(repr(key) for key in output)
    if isinstance(output, (tuple, list)):
        return f"a {type(output).__name__} of {len(output)}: positions 0 to {len(output) - 1}"
    return f"a {type(output).__name__}: leave output_key out"


def _say_which_output_is_scored(model: nn.Module, data: torch.Tensor) -> None:
    """A note where the model returns several tensors and ``output_key`` names none: the first is scored,
    which a trial's {"emb": ..., "logits": ...} model met as an accuracy of 5% with no word of why."""
    output = fields_as_dict(_raw_output(model, data))
    if isinstance(output, (tuple, list)):
        output = dict(enumerate(output))
    if not isinstance(output, dict):
        return
    tensors = {key: first_tensor(value) for key, value in output.items()}
    keys = [key for key, tensor in tensors.items() if tensor is not None and tensor.ndim > 0]  # a loss: not scored
    if len(keys) > 1:
        others = ", ".join(repr(key) for key in keys[1:])
        note(f"the labels are scored against the model's output {keys[0]!r}, the first of its tensors: "
             f"pass output_key= to score another ({others})")  # fmt: skip


def _whole_numbers(labels: torch.Tensor) -> bool:
    values = labels.detach()
    return bool((values == values.round()).all())


PROBABILITY_FLOOR = 1e-12  # a softmax's 0 scored as this, so a confident mistake costs 27.6, not infinity


def _out_of_a_sigmoid(model: nn.Module, data: torch.Tensor, output_key: str | int | None = None) -> bool:
    """Whether the model's output comes straight out of a sigmoid (and is so a probability): ``nn.Sigmoid``
    last, ``torch.sigmoid`` in ``forward``, and either followed by a reshape count; a sigmoid inside the net,
    registered last or not, does not."""
    return last_operation(model, data, output_key) == "sigmoid"


def _same_values(activations: torch.Tensor, output: torch.Tensor) -> bool:
    """Whether a layer's (N, D) activations are the model's (N,) or (N, 1) output."""
    flat = activations.reshape(len(activations), -1)
    if flat.shape[1] != 1 or len(flat) != len(output):
        return False
    return torch.allclose(flat[:, 0].float().cpu(), output.reshape(-1).float().cpu(), atol=1e-5)
