"""scripts/bench.py: its comparisons draw what they claim, and bad options fail before minutes of measuring."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
import bench  # noqa: E402


def run_bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "bench.py"), *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("name", "says"),
    [("missing/figures.json", "does not exist"), ("figures.txt", "ending in .json"), ("taken.json", "--force")],
)
def test_a_json_path_that_cannot_be_written_fails_before_anything_is_measured(tmp_path, name, says):
    """A review: an unwritable --json path raised a traceback after the whole run, losing its figures."""
    (tmp_path / "taken.json").write_text("{}")
    result = run_bench("--json", str(tmp_path / name))
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert "render" not in result.stdout  # nothing was measured
    assert (tmp_path / "taken.json").read_text() == "{}"


def test_figures_that_could_not_be_measured_are_written_as_null():
    figures = {"latency_frames_p95": math.nan, "render": [{"points": 10, "markers_ms": math.nan, "floor_ms": 1.5}]}
    written = json.loads(json.dumps(bench.without_nan(figures), allow_nan=False))
    assert written == {"latency_frames_p95": None, "render": [{"points": 10, "markers_ms": None, "floor_ms": 1.5}]}


def test_vispy_markers_draws_the_same_points_frame_by_frame_in_its_own_process():
    """The baseline draws (its child checks its pixels, with and without antialiasing) and answers one
    timed frame a request, so that its frames can take turns with viz3d's."""
    points = np.random.default_rng(0).normal(size=(2000, 3)).astype(np.float32) * 0.5
    with bench.MarkersProcess(points) as markers:
        assert markers.ready
        times = [markers.frame(antialias=aa) for aa in (1.0, 0.0, 1.0)]
    assert all(0 < t < 30 for t in times)


def test_a_markers_child_that_dies_leaves_nan_and_the_bench_goes_on():
    """A review: a child that died mid-run made float('') raise, losing that size's viz3d and floor figures."""
    points = np.zeros((100, 3), np.float32)
    with bench.MarkersProcess(points) as markers:
        assert markers.ready
        markers._child.kill()
        markers._child.wait()
        assert math.isnan(markers.frame(antialias=1.0)) and not markers.ready
        assert math.isnan(markers.frame(antialias=0.0))


def test_the_interleaved_timer_takes_turns_and_keeps_a_frames_own_time():
    order: list[str] = []

    def own(_index: int) -> float:
        order.append("own")
        return 0.25  # timed elsewhere: a quarter of a second

    def here(_index: int) -> None:
        order.append("here")

    times = bench.time_interleaved({"own": own, "here": here}, count=4, block=2)
    assert times["own"] == pytest.approx(250.0)
    assert times["here"] < 50.0
    assert order[4:] == ["own", "own", "here", "here", "own", "own", "here", "here"]  # after 2 warm-ups each
