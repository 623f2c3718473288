"""Forward hooks that record what each watched module outputs during a probe forward pass.

Which modules are watched:
- By default, the stages of the network in the order they run: every leaf module with a per-sample
  tensor output, plus any container whose children never ran (a fused fast path, as
  ``nn.TransformerEncoderLayer`` takes in inference). Dropout and Identity are left out (they do nothing
  in eval mode). A module called twice appears twice (``name``, ``name#2``).
- Or those matching ``layers``: module names, glob patterns or module types. In a glob, ``*`` stays
  within one dotted name part (``"layers.*"`` is each layer, not their insides) and ``**`` crosses
  parts (``"**.fc2"`` is every ``fc2``). A name or glob that matches no module is an error, naming it.
  The ``module.`` prefix that DataParallel and DistributedDataParallel add, and torch.compile's
  ``_orig_mod.``, are ignored everywhere.

How an output becomes rows: the first tensor of a tuple, list, dict or dataclass (or ``output_key``);
conv maps (N, C, H, W) are flattened per sample; sequences (N, T, D) give one token (``token``:
``"last"``, ``"mean"``, an index, or ``None`` to flatten).

An output that a later in-place op writes over (``ReLU(inplace=True)``, a residual ``out += x``) is
recorded as its module returned it: the version counter tells, and the forward runs again copying outputs.
Hooks are attached only for the duration of `LayerTracker.snapshot`, so training runs at full speed
between captures. With ``stages=True`` a ``Linear`` whose output an element-wise activation takes next is split
into W·x, then +b, then the activation, the classic decomposition.
"""

from __future__ import annotations

import dataclasses
import numbers
import re
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

import torch
from torch import nn

from viz3d.capture.model_rows import eager, weights_dtype
from viz3d.capture.snapshot import WX, WX_PLUS_B, WX_SUFFIX, Snapshot
from viz3d.errors import Viz3dError, first_line, note

LayerSelector = str | type[nn.Module]
Token = str | int | None

NO_OP_TYPES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.Identity)
ELEMENTWISE_ACTIVATIONS = (
    nn.Tanh, nn.ReLU, nn.Sigmoid, nn.GELU, nn.LeakyReLU, nn.ELU, nn.SiLU, nn.Softplus, nn.Hardtanh,
    nn.Mish, nn.CELU, nn.SELU, nn.Softsign, nn.Tanhshrink, nn.ReLU6, nn.PReLU,
)  # fmt: skip
WRAPPER_PREFIXES = ("module.", "_orig_mod.")  # DataParallel / DistributedDataParallel, and torch.compile


def fields_as_dict(output: object) -> object:
    """A dataclass instance (a model's output, say) as {field name: value}; anything else as it is."""
    if dataclasses.is_dataclass(output) and not isinstance(output, type):
        return {f.name: getattr(output, f.name) for f in dataclasses.fields(output)}
    return output


def first_tensor(output: object, key: str | int | None = None) -> torch.Tensor | None:
    """The tensor a module's output stands for: itself, ``output[key]``, or the first tensor inside that
    has a batch dimension (a scalar first, as a Hugging Face-style ``(loss, logits)`` has, is passed over)."""
    if isinstance(output, torch.Tensor):
        return output
    output = fields_as_dict(output)
    if key is not None:
        try:
            return first_tensor(output[key])  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        for item in output:
            found = first_tensor(item)
            if found is not None and found.ndim > 0:
                return found
    return None


# What torch says when a forward meets inputs of the wrong shape or dtype ("mat1 and mat2 shapes cannot be
# multiplied", "expected input[1, 1, 28, 28] to have 3 channels", "Expected 3D (unbatched) or 4D (batched)
# input", "input.size(-1) must be equal to input_size", "mat1 and mat2 must have the same dtype", a first
# BatchNorm's "running_mean should contain 2 elements not 3", a pooling's "Output size is too small", ...).
# Only an error raised before any watched module finished is read as the inputs' (see `_record_forward`).
INPUT_PROBLEM = re.compile(
    r"shapes? |size mismatch|size of tensor|must match the size|channels|expected \d+D|\d+D \(|input_size"
    r"|input\.size|mat1|mat2|dimension|invalid for input of size|dtype|type \(|scalar type|elements not"
    r"|kernel size|output size|multiply up|not implemented for",
    re.IGNORECASE,
)
NOT_THE_INPUTS = ("out of memory", "same device")  # the machine's or the model's, whatever else they say


# modules left out of the default layers, named in a note
_NOTED_LEFT_OUT: weakref.WeakSet[nn.Module] = weakref.WeakSet()


def _is_time_major(module: nn.Module | None) -> bool:
    """An RNN, LSTM or GRU without ``batch_first``: its output is (T, N, H) whatever the numbers are."""
    return isinstance(module, nn.RNNBase) and not module.batch_first


def _time_first(module: nn.Module, tensor: torch.Tensor) -> bool:
    """Whether ``tensor``, the module's output, is a time-major sequence (T, N, H) (see `_is_time_major`)."""
    return _is_time_major(module) and tensor.ndim == 3


def _why_not_per_sample(module: nn.Module | None, shape: tuple[int, ...], batch: int) -> str:
    """Why an output of ``shape`` has no row for each of the ``batch`` inputs first, and what to do."""
    if _is_time_major(module) or (isinstance(module, nn.RNNBase) and len(shape) == 3 and shape[1] == batch):
        return f"its output {shape} puts time first (an RNN without batch_first=True): make it batch_first to see it"
    if len(shape) >= 2 and shape[1] == batch and shape[0] != batch:
        return f"its output {shape} has the {batch} inputs second, not first: watch the layer after it"
    return f"its output {shape} is not one row for each of the {batch} inputs: watch the layers around it"


def checked_token(token: object) -> Token:
    """``token`` if it says how to reduce a sequence: "last", "mean", a position, or None (keep them all)."""
    if token is None or (isinstance(token, str) and token in ("last", "mean")):
        return token
    if isinstance(token, numbers.Integral) and not isinstance(token, bool):
        return int(token)
    raise Viz3dError(
        f"token={token!r}: pass 'last', 'mean', a position such as 0 (negative counts from the end), "
        "or None to keep every position"
    )


def per_sample_rows(tensor: torch.Tensor, token: Token) -> torch.Tensor:
    """(N, ...) → (N, D): sequences (N, T, D) reduced to one token, everything else flattened."""
    if tensor.ndim == 3 and token is not None:
        if token == "last":
            return tensor[:, -1]
        if token == "mean":
            return tensor.mean(dim=1)
        length = tensor.shape[1]
        if not -length <= int(token) < length:
            raise Viz3dError(
                f"token={token}: the sequences have {length} positions: pass one from 0 to {length - 1} "
                f"(or -{length} to -1)"
            )
        return tensor[:, int(token)]
    return tensor.reshape(tensor.shape[0], -1)


def _check_ids(name: str, table: nn.Embedding | nn.EmbeddingBag, args: tuple) -> None:
    """A forward pre-hook: the ids an embedding table is about to look up must be rows of it."""
    ids = args[0] if args else None
    if not isinstance(ids, torch.Tensor) or ids.is_floating_point() or ids.is_complex() or not ids.numel():
        return
    largest, smallest = int(ids.max()), int(ids.min())
    if largest >= table.num_embeddings or smallest < 0:
        bad = largest if largest >= table.num_embeddings else smallest
        raise Viz3dError(
            f"the model's {type(table).__name__} '{name}' has ids 0 to {table.num_embeddings - 1} but is given "
            f"id {bad}: map the inputs' ids into its table (or give it num_embeddings={largest + 1})"
        )


def display_name(name: str) -> str:
    """A module's name without the prefixes wrappers add (a compiled DDP model has both, in either order)."""
    while name.startswith(WRAPPER_PREFIXES):
        name = name.split(".", 1)[1]
    return name


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A module-path glob as a regex: ``*`` and ``?`` stay inside one dotted part, ``**`` spans parts."""
    parts = re.split(r"(\*\*|\*|\?)", glob)
    wild = {"**": ".*", "*": "[^.]*", "?": "[^.]"}
    return re.compile("".join(wild.get(part, re.escape(part)) for part in parts) + r"\Z")


def _matches(name: str, module: nn.Module, selectors: Sequence[LayerSelector]) -> bool:
    bare = display_name(name)
    for selector in selectors:
        if isinstance(selector, str):
            pattern = glob_pattern(display_name(selector))  # "_orig_mod.0" names "0" of the module compile wraps
            if pattern.match(bare) or pattern.match(name):
                return True
        elif isinstance(module, selector):
            return True
    return False


@dataclass
class _Record:
    name: str
    module: nn.Module
    rows: torch.Tensor  # (N, D): one row per input (`per_sample_rows`)
    output: torch.Tensor  # the module's output as it came, (N, T, D) for a sequence
    version: int | None  # the output's version counter then (None: a copy, which nothing else writes to)
    made: int  # id() of the output as the module returned it, and of the first tensor it took: whether one
    took: int | None  # module ran on another's output (the forward holds both alive, so ids stay unique)

    def overwritten(self) -> bool:
        """Whether an in-place op after the module (``ReLU(inplace=True)``, ``out += x``) wrote over its output."""
        return self.version is not None and self.output._version != self.version


class LayerTracker:
    """Watches ``model`` on a fixed probe batch ``inputs``; `snapshot` runs one recorded forward."""

    def __init__(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        labels: torch.Tensor | None = None,
        layers: Sequence[LayerSelector] | None = None,
        output_key: str | int | None = None,
        token: Token = "last",
        stages: bool = False,
    ) -> None:
        self.model = eager(model)
        self.inputs = inputs
        self.labels = labels
        self.layers = list(layers) if layers is not None else None
        self.output_key = output_key
        self.token = checked_token(token)
        self.stages = stages
        self.candidates = self._candidates()
        self._copies_outputs = False  # set once a later in-place op is seen to write over an output

    def _candidates(self) -> list[tuple[str, nn.Module]]:
        named = [(name, module) for name, module in self.model.named_modules() if name]
        if not named:  # the model is a single module, e.g. a bare nn.Linear
            named = [(type(self.model).__name__, self.model)]
        if self.layers is None:
            return [(name, module) for name, module in named if not isinstance(module, NO_OP_TYPES)]
        chosen = [(name, module) for name, module in named if _matches(name, module, self.layers)]
        # A name or glob that matches nothing is a typo or a stale name: refuse it rather than watch fewer
        # layers than asked for. A type may match nothing (``[nn.Linear, nn.Conv2d]`` on an MLP).
        unknown = [s for s in self.layers if isinstance(s, str) and not any(_matches(n, m, [s]) for n, m in named)]
        if unknown or not chosen:
            listing = ", ".join(display_name(name) for name, _ in named)
            if chosen:
                raise Viz3dError(f"unknown layers {unknown}: nothing matches them; the model's modules are: {listing}")
            wanted = [s if isinstance(s, str) else s.__name__ for s in self.layers]
            raise Viz3dError(f"no layer to watch: nothing matches {wanted}; the model's modules are: {listing}")
        return chosen

    def snapshot(self, step: int = 0) -> Snapshot:
        """Run the probe forward without autograd and return every watched layer's output. (Under no_grad,
        not inference_mode: only a tensor made outside inference mode counts the in-place writes to it.)"""
        with evaluating(self.model), torch.no_grad():
            layers = self.trace(self.inputs)
        return _as_snapshot(step, layers)

    def snapshot_and_outputs(self, step: int = 0) -> tuple[Snapshot, object]:
        """One probe forward that training can reuse: run with autograd, in the model's current mode.

        Returns the snapshot (detached) and what the model returned (with its graph), so a training
        step on the same rows and weights can take its loss from it instead of running the forward
        again. Only for models that compute the same in train and eval mode (no dropout, no batch norm).
        """
        with torch.enable_grad():
            layers, outputs = self._trace(self.inputs)
        return _as_snapshot(step, [(name, kind, rows.detach()) for name, kind, rows in layers]), outputs

    def trace(self, inputs: torch.Tensor) -> list[tuple[str, str, torch.Tensor]]:
        """Run ``model(inputs)`` with hooks attached; returns (name, kind, rows) for each watched stage.

        Nothing is detached, so this also runs inside ``torch.func.jvp``.
        """
        return self._trace(inputs)[0]

    def _trace(self, inputs: torch.Tensor) -> tuple[list[tuple[str, str, torch.Tensor]], object]:
        """`trace`, plus what the model returned."""
        records, outputs = self._record_forward(inputs)
        kept = records if self.layers is not None else self._stages_only(records)
        if not kept:
            listing = ", ".join(display_name(name) for name, _ in self.model.named_modules() if name)
            if not listing:  # a lone module: layers=[...] has nothing to name
                lone = type(self.model).__name__
                why = "does nothing in eval mode" if isinstance(self.model, NO_OP_TYPES) else "gave no row per input"
                raise Viz3dError(
                    f"no layer to watch: the model is a lone {lone}, with no modules inside, and it {why}: "
                    "watch a model built of modules (nn.Linear, nn.Tanh, ...)"
                )
            raise Viz3dError(
                "no layer to watch: no module produced a per-sample tensor output during the probe forward; "
                f"choose layers by name with layers=[...] (the model's modules are: {listing})"
            )
        layers = [("input", "input", per_sample_rows(inputs, self.token))]
        seen: dict[str, int] = {}
        for index, record in enumerate(kept):
            base = display_name(record.name)
            seen[base] = seen.get(base, 0) + 1
            key = base if seen[base] == 1 else f"{base}#{seen[base]}"
            following = kept[index + 1] if index + 1 < len(kept) else None
            if self.stages and _splits_into_stages(record, following):
                # the bias comes off the output as it came: a sequence's rows are (T·D) wide once flattened
                layers.append((key + WX_SUFFIX, WX, per_sample_rows(record.output - record.module.bias, self.token)))
                layers.append((key, WX_PLUS_B, record.rows))
            else:
                layers.append((key, type(record.module).__name__, record.rows))
        return layers, outputs

    def _record_forward(self, inputs: torch.Tensor) -> tuple[list[_Record], object]:
        """The forward with hooks attached. Outputs are kept as they are, unless a later in-place op wrote
        over one: then the forward runs again, copying every output as its module returns it, and so does
        every later capture of this model (a copy of each layer costs about half a capture's time)."""
        records, outputs = self._hooked_forward(inputs, copy=self._copies_outputs)
        if any(record.overwritten() for record in records):
            self._copies_outputs = True
            records, outputs = self._hooked_forward(inputs, copy=True)
        return records, outputs

    def _hooked_forward(self, inputs: torch.Tensor, copy: bool) -> tuple[list[_Record], object]:
        records: list[_Record] = []
        batch = inputs.shape[0]
        other_shapes: dict[str, tuple[int, ...]] = {}  # modules whose output is not one row per input
        from_rows: set[str] = set()  # ... of those, the ones that took one row per input (and so lost them)

        held: list[object] = []  # every tensor whose id a record keeps, alive until the forward is over

        def hook(name: str, module: nn.Module, args: tuple, output: object) -> None:
            tensor = first_tensor(output, self.output_key)
            if tensor is None and self.output_key is not None:  # the key is the model's, not this layer's (an
                tensor = first_tensor(output)  # attention layer's (out, weights) has no "logits"): its first tensor
            took = next((value for value in args if isinstance(value, torch.Tensor)), None)  # what it ran on
            if tensor is not None and _time_first(module, tensor):  # even where the time steps number N
                other_shapes.setdefault(name, tuple(tensor.shape))
            elif tensor is not None and tensor.ndim >= 1 and tensor.shape[0] == batch:
                version = _version(tensor)
                held.extend((tensor, took))
                made, took_id = id(tensor), None if took is None else id(took)
                if copy or version is None:  # an inference tensor keeps no count of its writes: copy it
                    tensor, version = tensor.clone(), None
                rows = per_sample_rows(tensor, self.token)
                records.append(_Record(name, module, rows, tensor, version, made, took_id))
            elif tensor is not None:
                other_shapes.setdefault(name, tuple(tensor.shape))
                if took is not None and took.ndim >= 1 and took.shape[0] == batch:
                    from_rows.add(name)

        handles = [
            module.register_forward_hook(lambda mod, inp, out, name=name: hook(name, mod, inp, out))
            for name, module in self.candidates
        ]
        handles += [  # ids past an embedding's table: one line, not torch's "index out of range in self"
            module.register_forward_pre_hook(partial(_check_ids, display_name(name)))
            for name, module in self.model.named_modules()
            if isinstance(module, (nn.Embedding, nn.EmbeddingBag))
        ]
        try:
            outputs = self.model(inputs)
        except RuntimeError as err:
            # a layer after the first one watched failed: the model's own mismatch, not the inputs'
            message = None if records else self._shape_message(inputs, err)
            if message is None:
                raise  # not about the inputs (out of memory, the model's own check): the user's error as it is
            raise Viz3dError(message) from None
        finally:
            for handle in handles:
                handle.remove()
        self._refuse_named_but_not_per_sample(records, other_shapes, batch)
        if self.layers is None:
            self._note_left_out(other_shapes, from_rows, batch)
        return records, outputs

    def _note_left_out(self, other_shapes: dict[str, tuple[int, ...]], from_rows: set[str], batch: int) -> None:
        """A note, once per module, for one left out of the default layers because its output has no row per
        input first, though it took one (a time-major RNN's (T, N, D), which had vanished from the picture
        without a word). A module that never saw a row per input (a positional embedding of
        ``arange(T)``, a layer on rows the model reshaped) is left out without one."""
        modules = dict(self.candidates)
        for name, shape in other_shapes.items():
            module = modules.get(name)
            if module is None or (name not in from_rows and not _is_time_major(module)):
                continue
            if module not in _NOTED_LEFT_OUT and len(shape) >= 1:
                _NOTED_LEFT_OUT.add(module)  # once, though each session forwards rows and probe apart
                note(f"layer {display_name(name)!r} is not watched: {_why_not_per_sample(module, shape, batch)}")

    def _refuse_named_but_not_per_sample(
        self, records: list[_Record], other_shapes: dict[str, tuple[int, ...]], batch: int
    ) -> None:
        """A layer named in ``layers`` (by its exact name) that ran without one output row per input would
        be left out silently (a time-major RNN, whose output is (T, N, D)). Say so instead."""
        recorded = {display_name(record.name) for record in records}  # without the wrappers' prefixes
        shapes = {display_name(name): (name, shape) for name, shape in other_shapes.items()}
        modules = dict(self.candidates)
        for selector in self.layers or []:
            if isinstance(selector, str) and selector in shapes and selector not in recorded:
                name, shape = shapes[selector]
                raise Viz3dError(f"layer {selector!r}: {_why_not_per_sample(modules.get(name), shape, batch)}")

    def _stages_only(self, records: list[_Record]) -> list[_Record]:
        """Leaves, and containers none of whose descendants reported (a fused fast path)."""
        fired = {record.name for record in records}
        kept = []
        for record in records:
            is_leaf = not any(True for _ in record.module.children())
            if is_leaf or not any(other.startswith(record.name + ".") for other in fired):
                kept.append(record)
        return kept

    def _shape_message(self, inputs: torch.Tensor, err: RuntimeError) -> str | None:
        """The line for a probe forward that failed on its inputs: of the wrong dtype, or of the wrong shape;
        None when torch's message is about something else (out of memory, an error the model raises)."""
        detail = first_line(err)
        if any(words in detail for words in NOT_THE_INPUTS) or not INPUT_PROBLEM.search(detail):
            return None
        if inputs.is_floating_point() and "'indices'" in detail:  # an nn.Embedding looks its inputs up
            return (
                f"the probe inputs have dtype {inputs.dtype} but the model looks them up as indices (an "
                f"embedding): pass integer ids, e.g. x.long() ({detail})"
            )
        weights = weights_dtype(self.model)
        # torch: "mat1 and mat2 must have the same dtype", "Input type (long int) and bias type (float) ...",
        # '"batch_norm" not implemented for 'Long''
        about_dtype = re.search(r"dtype|type \(|scalar type|not implemented for", detail)
        if weights is not None and inputs.dtype != weights and about_dtype:
            convert = "x.float()" if weights == torch.float32 else f"x.to({weights})"
            return (
                f"the probe inputs have dtype {inputs.dtype} but the model's weights are {weights}: "
                f"convert them, e.g. {convert} ({detail})"
            )
        shape = tuple(inputs.shape)
        first = next(
            (m for _, m in self.model.named_modules() if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd))), None
        )
        if isinstance(first, nn.Linear):
            expected = f"(N, {first.in_features})"
        elif first is not None:
            expected = f"(N, {first.in_channels}, ...)"
        else:
            expected = "another shape"
        return f"the probe inputs have shape {shape} but the model expects {expected}: reshape the inputs ({detail})"


def _version(tensor: torch.Tensor) -> int | None:
    """The count of in-place writes to ``tensor`` so far; None for a tensor made under inference_mode."""
    return None if tensor.is_inference() else tensor._version


def _as_snapshot(step: int, layers: list[tuple[str, str, torch.Tensor]]) -> Snapshot:
    return Snapshot(
        step=step,
        layer_names=[name for name, _, _ in layers],
        layer_kinds=[kind for _, kind, _ in layers],
        activations={name: rows for name, _, rows in layers},
    )


def _splits_into_stages(record: _Record, following: _Record | None) -> bool:
    """A Linear with a bias whose own output the next watched module, an element-wise activation, takes (in
    ``t(x + a(x))`` the activation takes a sum, and σ(W·x + b) would be drawn where it is not)."""
    module = record.module
    return (
        isinstance(module, nn.Linear)
        and module.bias is not None
        and following is not None
        and isinstance(following.module, ELEMENTWISE_ACTIVATIONS)
        and following.took == record.made
    )


@contextmanager
def evaluating(model: nn.Module) -> Iterator[None]:
    """The model in eval mode for the block; after it, every module in its own mode again (a BatchNorm the
    user froze with .eval() inside a training model stays frozen)."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training
