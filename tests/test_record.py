"""Recording: deterministic frames, every output kind decodes, Ctrl-C keeps a playable file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import av
import numpy as np
import pytest
from conftest import REPO, run_cli
from helpers import preset_with_view
from PIL import Image

from viz3d.app.tour import cut_times, default_tour, tour_at
from viz3d.presets import Keyframe, ViewSpec, load_preset

SMALL = ("--size", "96x64", "--fps", "30")


def decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("record")
    paths = []
    for name in ("a.mp4", "b.mp4"):
        out = folder / name
        result = run_cli("record", "spirals", "--out", str(out), "--frames", "30", *SMALL)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(out)
        paths.append(out)
    return paths


def test_thirty_frames_decode_to_thirty_frames_of_that_size(recorded):
    frames = decode(recorded[0])
    assert len(frames) == 30
    assert all(frame.shape == (64, 96, 3) for frame in frames)
    with av.open(str(recorded[0])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.pix_fmt == "yuv420p"
        assert stream.average_rate == 30


def test_same_command_gives_identical_frames(recorded):
    first, second = decode(recorded[0]), decode(recorded[1])
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


def test_frames_change_over_the_recording(recorded):
    frames = decode(recorded[0])
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 2
    assert frames[-1].std() > 5  # a picture, not a flat frame


def test_existing_output_is_not_overwritten(tmp_path):
    out = tmp_path / "talk.mp4"
    out.write_bytes(b"my earlier take")
    result = run_cli("record", "spirals", "--out", str(out), "--frames", "2", *SMALL)
    assert result.returncode == 2 and "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_bytes() == b"my earlier take"


def test_png_sequence_and_lossless_file_decode(tmp_path):
    folder = tmp_path / "frames"
    result = run_cli("record", "spirals", "--out", f"{folder}/", "--frames", "5", "--no-ui", *SMALL)
    assert result.returncode == 0, result.stderr
    pngs = sorted(folder.glob("frame-*.png"))
    assert [p.name for p in pngs] == [f"frame-{i:06d}.png" for i in range(5)]
    assert Image.open(pngs[0]).size == (96, 64)
    lossless = tmp_path / "master.mkv"
    result = run_cli("record", "spirals", "--out", str(lossless), "--frames", "5", "--no-ui", "--lossless", *SMALL)
    assert result.returncode == 0, result.stderr
    with av.open(str(lossless)) as container:
        assert container.streams.video[0].codec_context.name == "ffv1"
    video = decode(lossless)
    assert len(video) == 5
    # Lossless means the same pixels as the PNG frames of the same recording.
    assert np.array_equal(video[4], np.asarray(Image.open(pngs[4]).convert("RGB")))


def test_odd_size_is_kept_and_said(tmp_path):
    out = tmp_path / "odd.mp4"
    result = run_cli("record", "spirals", "--out", str(out), "--frames", "3", "--size", "95x63", "--fps", "30")
    assert result.returncode == 0, result.stderr
    assert "95x63 is odd" in result.stderr and "record at an even size such as 96x64" in result.stderr
    assert decode(out)[0].shape == (63, 95, 3)


def test_wrong_suffix_is_one_line(tmp_path):
    result = run_cli("record", "spirals", "--out", str(tmp_path / "talk.avi"), "--frames", "2")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and ".mp4" in result.stderr


def test_an_output_that_is_nearly_right_gets_the_flag_or_slash_it_lacks(tmp_path):
    """An .mkv without --lossless, or an existing folder without its /, was told to 'name an .mp4 file';
    a path through a file was called a folder that does not exist."""
    from viz3d.app.recorder import check_record_output
    from viz3d.errors import OutputPathError

    (tmp_path / "take.png").write_bytes(b"")
    for out, message in [
        (tmp_path / "z.mkv", "an .mkv is lossless FFV1: add --lossless"),
        (tmp_path, f"it is a folder: for a PNG per frame in it, end it with / ({tmp_path}/)"),
        (tmp_path / "take.png" / "x.mp4", f"{tmp_path / 'take.png'} is a file, not a folder; choose another output"),
        ("/proc/frames/", "cannot write /proc/frames/: folder /proc is not writable"),  # not viz3d's own probe file
    ]:
        with pytest.raises(OutputPathError) as caught:
            check_record_output(str(out), lossless=False, force=False)
        assert message in str(caught.value)


def test_sigint_leaves_a_playable_file(tmp_path):
    out = tmp_path / "cut.mp4"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    process = subprocess.Popen(
        [sys.executable, "-m", "viz3d.cli", "record", "spirals", "--out", str(out), "--frames", "100000", *SMALL],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    partial = wait_for_partial(tmp_path / "cut.mp4", process)  # the recording's own: two never share one
    time.sleep(4.0)  # let it render a hundred frames or so
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    kept = tmp_path / "cut.interrupted.mp4"  # an unfinished take never takes the name of a finished one
    assert "interrupted: kept the" in stderr and str(kept) in stderr
    frames = decode(kept)
    assert len(frames) > 5 and frames[0].shape == (64, 96, 3)
    assert not partial.exists() and not out.exists()


def test_tour_eases_between_keyframes_and_holds_outside():
    view = ViewSpec(azimuth=0.0, elevation=30.0, distance=4.0, layer=-1)
    keys = (
        Keyframe(time=0.0, layer=0, azimuth=0.0, training=True),
        Keyframe(time=2.0, layer=4, azimuth=90.0, training=False),
    )
    start, middle, quarter, end, after = (tour_at(keys, t, view, n_layers=5) for t in (0.0, 1.0, 0.5, 2.0, 9.0))
    assert (start.layer, start.azimuth, start.training) == (0.0, 0.0, True)
    assert middle.layer == pytest.approx(2.0) and middle.azimuth == pytest.approx(45.0)
    assert quarter.layer == pytest.approx(4 * 0.15625)  # smoothstep(0.25), not 0.25
    assert (end.layer, end.training) == (4.0, False)
    assert after.layer == 4.0 and after.elevation == 30.0  # unset values come from the view
    negative = tour_at((Keyframe(time=0.0, layer=-1),), 0.0, view, n_layers=5)
    assert negative.layer == 4.0


def test_the_shipped_tour_example_keeps_the_panel_until_the_keyframe_that_hides_it(tmp_path):
    import re

    from viz3d.presets import load_preset

    example = re.sub(
        r"^# (\[\[tour|time|layer|training|azimuth|overlay)", r"\1", (REPO / "presets" / "spirals.toml").read_text(),
        flags=re.MULTILINE,
    )  # fmt: skip
    path = tmp_path / "toured.toml"
    path.write_text(example)
    preset = load_preset(str(path))
    keys = preset.tour.keyframes
    assert [k.time for k in keys] == [0.0, 6.0]
    points = {t: tour_at(keys, t, preset.view, n_layers=10) for t in (0.0, 5.9, 6.0, 9.0)}
    assert points[0.0].overlay and points[5.9].overlay  # nothing turned it off yet
    assert not points[6.0].overlay and not points[9.0].overlay
    assert all(point.training for point in points.values())  # only ever turned on


def test_default_tour_trains_then_sweeps_the_layers():
    view = ViewSpec(layer=2)
    tour = default_tour(10.0, view, n_layers=6)
    assert tour_at(tour.keyframes, 1.0, view, 6).training is True
    assert tour_at(tour.keyframes, 6.0, view, 6).training is False
    assert tour_at(tour.keyframes, 10.0, view, 6).layer == 5.0
    assert tour_at(tour.keyframes, 10.0, view, 6).azimuth == view.azimuth + 120.0


@pytest.mark.parametrize(("layer", "rewind_seconds"), [(-1, 0.75), (1, 0.375)])
def test_default_tour_goes_back_to_the_input_at_most_twice_as_fast_as_it_sweeps(layer, rewind_seconds):
    """A trial: a fixed eighth of a 3 s clip rewound 3 layers in 0.4 s, four times the sweep's pace."""
    view = ViewSpec(layer=layer)
    keyframes = default_tour(3.0, view, n_layers=4).keyframes
    assert keyframes[2].time - keyframes[1].time == pytest.approx(rewind_seconds)  # an eighth, where that is slow
    start = tour_at(keyframes, 0.0, view, 4).layer
    rewind_pace = start / (keyframes[2].time - keyframes[1].time)
    sweep_pace = 3 / (keyframes[3].time - keyframes[2].time)
    assert rewind_pace <= 2 * sweep_pace + 1e-9


def test_default_tour_of_a_fixed_map_seen_from_above_sweeps_without_turning():
    """A trial's change-of-basis video spent its first half spinning the finished map, and the last frame
    had x pointing down-left: at elevation 89 an orbit only rotates the flat picture on the screen."""
    view = ViewSpec(layer=-1, elevation=89.0, azimuth=-90.0)
    tour = default_tour(10.0, view, n_layers=3, trains=False)
    at = [tour_at(tour.keyframes, t, view, 3) for t in (0.0, 1.0, 5.0, 9.0, 10.0)]
    assert [point.layer for point in at[:2]] == [0.0, 0.0] and [point.layer for point in at[3:]] == [2.0, 2.0]
    assert 0.0 < at[2].layer < 2.0  # sweeping in the middle
    assert {point.azimuth for point in at} == {-90.0} and not any(point.training for point in at)


def test_screen_capture_files_are_stamped_timed_and_never_replace(tmp_path):
    from viz3d.app.screen_capture import ScreenCapture

    capture = ScreenCapture(stem="demo", folder=tmp_path / "recordings")
    path = capture.start((64, 48))
    assert path.parent.name == "recordings" and path.name.startswith("demo-") and path.suffix == ".mp4"
    frame = np.zeros((48, 64, 3), np.uint8)
    for shade in range(0, 250, 25):
        frame[:] = shade
        capture.add(frame.copy())
        time.sleep(0.03)
    saved, frames, dropped = capture.stop()
    assert saved == path and frames + dropped == 10
    decoded = decode(saved)
    assert len(decoded) == frames and decoded[0].shape == (48, 64, 3)
    with av.open(str(saved)) as container:
        times = [f.time for f in container.decode(video=0)]
    assert times[-1] == pytest.approx(0.03 * (len(times) - 1), abs=0.1)  # plays at the speed it was shown
    shot = capture.screenshot(np.full((48, 64, 3), 200, np.uint8))
    again = capture.screenshot(np.full((48, 64, 3), 100, np.uint8))
    assert shot != again and shot.exists() and again.exists()  # same second: a -2 name, nothing replaced
    assert np.asarray(Image.open(shot))[0, 0, 0] == 200


def test_r_and_s_keys_ask_for_recording_and_a_screenshot(gl):
    from imgui_bundle import imgui

    from viz3d.app.state import ViewState
    from viz3d.render.imgui_layer import ImGuiLayer
    from viz3d.ui.controls import handle_shortcuts

    layer = ImGuiLayer(gl)
    try:
        state = ViewState()
        io = imgui.get_io()
        for key in (imgui.Key.r, imgui.Key.s):
            io.add_key_event(key, True)
            layer.new_frame(1 / 60, (320, 200))
            handle_shortcuts(state)
            imgui.render()
            io.add_key_event(key, False)
            layer.new_frame(1 / 60, (320, 200))
            imgui.render()
        assert state.recording is True and state.screenshot_requested is True
    finally:
        layer.shutdown()


def test_writer_never_puts_a_broken_or_unasked_file_at_the_target(tmp_path):
    from viz3d.app.video import FrameWriter
    from viz3d.errors import OutputPathError

    frame = np.zeros((16, 16, 3), np.uint8)
    empty = FrameWriter(str(tmp_path / "empty.mp4"), (16, 16), 30)
    assert empty.close() is None  # nothing written, nothing left behind
    assert list(tmp_path.iterdir()) == []

    late = tmp_path / "late.mp4"
    writer = FrameWriter(str(late), (16, 16), 30)
    writer.write(frame)
    late.write_bytes(b"someone else's file")  # appears while recording
    with pytest.raises(OutputPathError, match=r"appeared while recording, and is as it was: the take is .*late.new"):
        writer.close()
    assert late.read_bytes() == b"someone else's file"
    assert len(decode(tmp_path / "late.new.mp4")) == 1  # a visible name: a hidden partial is an orphan once closed


def test_two_recordings_to_one_name_each_keep_their_own_take(tmp_path, monkeypatch):
    """A trial ran two `viz3d record ... --out same.mp4` at once: both wrote into one partial file; the
    first to finish moved it onto same.mp4 while the other still wrote into it, and one take was lost."""
    from viz3d.app import video
    from viz3d.errors import OutputPathError

    out = tmp_path / "same.mp4"
    longer = video.FrameWriter(str(out), (16, 16), 30)
    longer.write(np.full((16, 16, 3), 200, np.uint8))
    monkeypatch.setattr(video.os, "getpid", lambda: 1)  # a process in another container: the same number
    shorter = video.FrameWriter(str(out), (16, 16), 30)
    for _ in range(2):
        shorter.write(np.full((16, 16, 3), 40, np.uint8))
    assert shorter.partial != longer.partial  # each process its own: x264 had written into one file from two
    assert shorter.close() == out  # finished first, while the longer one still records
    for _ in range(2):
        longer.write(np.full((16, 16, 3), 200, np.uint8))
    with pytest.raises(OutputPathError, match="appeared while recording, and is as it was: the take is .*same.new"):
        longer.close()
    shorter_take, longer_take = decode(out), decode(tmp_path / "same.new.mp4")
    assert len(shorter_take) == 2 and abs(int(shorter_take[0].mean()) - 40) < 8  # both takes, whole
    assert len(longer_take) == 3 and abs(int(longer_take[-1].mean()) - 200) < 8


def test_a_partial_file_no_recording_holds_is_removed_and_a_held_one_kept(tmp_path):
    """kill -9 leaves a partial file no process will finish (its lock went with the process); one a recording
    holds, in this process or another container's with the same number, is kept."""
    from viz3d.app.video import FrameWriter, _hold

    a_minute_ago = (time.time() - 60, time.time() - 60)  # not one being made just now, nor written to
    orphan, held, fresh = (tmp_path / f".take.mp4.partial-1-{token}.mp4" for token in ("aaaaaa", "bbbbbb", "cccccc"))
    for partial in (orphan, held, fresh):
        partial.write_bytes(b"x")
    os.utime(orphan, a_minute_ago)
    os.utime(held, a_minute_ago)
    lock = _hold(held)  # as another container's recording holds its own
    try:
        with FrameWriter(str(tmp_path / "take.mp4"), (16, 16), 30) as writer:
            writer.write(np.zeros((16, 16, 3), np.uint8))
        assert not orphan.exists() and held.exists() and fresh.exists()  # fresh: perhaps not locked yet
    finally:
        os.close(lock)


def test_png_target_that_is_a_file_is_refused(tmp_path):
    target = tmp_path / "frames"
    target.write_text("not a folder")
    result = run_cli("record", "spirals", "--out", f"{target}/", "--frames", "2", "--force", *SMALL)
    assert result.returncode == 2 and "is a file" in result.stderr
    assert target.read_text() == "not a folder"


def test_force_on_a_folder_replaces_frames_and_never_other_files(tmp_path):
    from viz3d.app.video import FrameWriter
    from viz3d.errors import OutputPathError

    frame = np.zeros((16, 16, 3), np.uint8)
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "notes.txt").write_text("mine")
    result = run_cli("record", "spirals", "--out", f"{project}/", "--frames", "2", "--force", *SMALL)
    assert result.returncode == 2 and "notes.txt, src/" in result.stderr and "not frames" in result.stderr
    assert (project / "notes.txt").read_text() == "mine" and (project / "src").is_dir()

    earlier = tmp_path / "earlier"  # an earlier recording: three frames, replaced by one
    with FrameWriter(f"{earlier}/", (16, 16), 30) as writer:
        for _ in range(3):
            writer.write(frame)
    with FrameWriter(f"{earlier}/", (16, 16), 30, force=True) as writer:
        writer.write(frame)
    assert sorted(p.name for p in earlier.iterdir()) == ["frame-000000.png"]

    writer = FrameWriter(f"{earlier}/", (16, 16), 30, force=True)  # a user's file lands there meanwhile
    writer.write(frame)
    (earlier / "notes.txt").write_text("mine")
    with pytest.raises(OutputPathError, match=r"not frames \(notes.txt\)"):
        writer.close()
    assert (earlier / "notes.txt").read_text() == "mine" and (earlier / "frame-000000.png").exists()
    assert (tmp_path / "earlier.new" / "frame-000000.png").exists()


def test_an_empty_folder_takes_frames_without_force(tmp_path):
    target = tmp_path / "frames"
    target.mkdir()
    result = run_cli("record", "spirals", "--out", f"{target}/", "--frames", "2", *SMALL)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["frame-000000.png", "frame-000001.png"]
    result = run_cli("record", "spirals", "--out", f"{target}/", "--frames", "2", *SMALL)
    assert result.returncode == 2 and "earlier recording" in result.stderr and "--force" in result.stderr


def test_panel_less_videos_are_centred_not_framed_beside_the_panel(gl, tmp_path):
    from helpers import non_background_mask, probe_of, projection_of, render

    from viz3d.app.live import _capture_scene, _draw_overlay
    from viz3d.app.screen_capture import ScreenCapture
    from viz3d.app.state import ViewState
    from viz3d.render.imgui_layer import ImGuiLayer
    from viz3d.render.renderer import FrameRenderer, Offscreen

    size = (320, 200)
    renderer = FrameRenderer()
    renderer.set_probe(probe_of([0]))
    renderer.set_projection(projection_of(np.zeros((2, 1, 3))))  # one point, at the origin
    state = ViewState(n_layers=2, show_axes=False, point_size=10.0, panel_right=0.4)
    state.settle_frame()
    capture = ScreenCapture(stem="shot", folder=tmp_path)

    def point_x(image):
        return np.nonzero(non_background_mask(image).any(axis=0))[0].mean()

    target = Offscreen(size)
    state.recording, state.record_overlay = True, False  # a video without the panel: centred from its first frame
    imgui_layer = ImGuiLayer(gl)
    try:
        with target.fbo:  # one frame of the live loop
            imgui_layer.new_frame(1 / 60, size)
            renderer.draw(state, size)
            _capture_scene(state, capture, size, lambda: renderer.draw(state, size))
            _draw_overlay(imgui_layer, state, capture, renderer, size)
            first = capture.stop()[0]
    finally:
        imgui_layer.shutdown()
    assert point_x(decode(first)[0]) == pytest.approx(size[0] / 2, abs=2.5)
    assert point_x(render(renderer, state, size)) == pytest.approx(size[0] / 2, abs=1.5)  # and on screen too


def test_recording_names_come_from_the_title_without_doubled_dashes():
    from viz3d.app.live import _slug

    assert _slug("Two spirals, width-2 tanh layers") == "two-spirals-width-2-tanh-layers"
    assert _slug("  ***  ") == "view"
    # cut after a whole word (a trial found "...-tangent-vectors-forw-")
    assert _slug("The Jacobian pushes tangent vectors forward") == "the-jacobian-pushes-tangent-vectors"
    assert _slug("x" * 50) == "x" * 40


def test_first_ctrl_c_is_a_request_to_stop_the_second_interrupts():
    """Inside a GL call a KeyboardInterrupt surfaced as ctypes.ArgumentError, ending a recording in a
    traceback; while recording, the first Ctrl-C only asks the loop to stop between frames."""
    from viz3d.app.interrupt import StopRequest

    before = signal.getsignal(signal.SIGINT)
    with StopRequest() as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        stop.finishing = True  # saving what was recorded: Ctrl-C must not cut the file short
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def interrupted(out):
    """Where an unfinished take of ``out`` goes: beside it, the target name kept for finished takes."""
    return out.with_name(f"{out.stem}.interrupted{out.suffix}")


def recording_under_way(out, size: str, seconds: float, terminal=None) -> tuple[subprocess.Popen, object]:
    """A long `viz3d record spirals` to ``out`` in its own process, ``seconds`` after its partial file
    appeared (so some frames are in it); returns the process and that partial file's path. Its output goes
    to pipes, or to ``terminal`` (a pty's file descriptor) where one is given."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    output = subprocess.PIPE if terminal is None else terminal
    process = subprocess.Popen(
        [sys.executable, "-m", "viz3d.cli", "record", "spirals", "--out", str(out), "--frames", "100000",
         "--size", size, "--no-ui"],
        cwd=REPO, env=env, stdout=output, stderr=output, text=True,
    )  # fmt: skip
    partial = wait_for_partial(out, process)
    time.sleep(seconds)
    return process, partial


def wait_for_partial(out, process: subprocess.Popen):
    """The partial file the recording to ``out`` by ``process`` writes, once it is there."""
    deadline = time.time() + 60
    while time.time() < deadline:
        found = list(out.parent.glob(f".{out.name}.partial-{process.pid}-*{out.suffix}"))
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no partial file of {out} appeared")


def test_two_quick_ctrl_cs_still_leave_a_playable_file(tmp_path):
    out = tmp_path / "twice.mp4"
    process, partial = recording_under_way(out, "1280x720", 3.0)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the encoder is flushing x264's look-ahead frames by now
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    # 130, or killed by the second SIGINT when it lands after the file was finished and viz3d let go
    assert process.returncode in (130, -signal.SIGINT), stderr
    assert len(decode(interrupted(out))) > 5 and not partial.exists()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_a_kill_or_a_closed_terminal_stops_a_recording_as_ctrl_c_does(tmp_path, stop_signal):
    """A trial's `timeout -s TERM` (or closing the terminal) ended a recording at once: no message, and
    only a hidden, unplayable partial file. Both now stop it between frames and keep a playable file."""
    out = tmp_path / "killed.mp4"
    process, partial = recording_under_way(out, "320x180", 2.0)
    process.send_signal(stop_signal)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + stop_signal, stderr  # as a shell reports a process the signal ended
    assert "viz3d: interrupted" in stderr
    assert len(decode(interrupted(out))) > 5 and not partial.exists()


def test_a_recording_whose_terminal_is_gone_still_finishes_its_file(tmp_path):
    """After a real hangup, writing to the terminal fails (EIO): the progress line's write raised, and the
    file was never closed (a review found only a 48-byte partial file left)."""
    import pty

    out = tmp_path / "hungup.mp4"
    controller, terminal = pty.openpty()
    process, partial = recording_under_way(out, "320x180", 2.0, terminal=terminal)
    os.close(terminal)
    os.close(controller)  # the terminal is gone: the recording's next write to it fails
    process.send_signal(signal.SIGHUP)
    process.wait(timeout=60)
    assert process.returncode == 129
    assert len(decode(interrupted(out))) > 5 and not partial.exists()


def test_a_stop_by_a_signal_keeps_its_number_through_pickling_and_shows_the_panel_note_only_when_shown():
    """From a review: Stopped(SIGTERM) could not be pickled (rebuilt from its name); and a tour that never
    shows the panel was told the panel left out its prose."""
    import pickle

    from viz3d.app.interrupt import Stopped, exit_status
    from viz3d.app.recorder import _panel_ever_shown
    from viz3d.presets import Keyframe

    again = pickle.loads(pickle.dumps(Stopped(signal.SIGTERM)))
    assert isinstance(again, KeyboardInterrupt) and exit_status(again.signum) == 143
    assert _panel_ever_shown(()) and _panel_ever_shown((Keyframe(time=0.0, overlay=True),))
    assert not _panel_ever_shown((Keyframe(time=0.0, overlay=False), Keyframe(time=2.0, layer=1.0)))
    assert _panel_ever_shown((Keyframe(time=0.0, overlay=False), Keyframe(time=2.0, overlay=True)))
    assert _panel_ever_shown((Keyframe(time=1.0, overlay=False),))  # shown for the first second


def test_an_ignored_hangup_stays_ignored():
    """`nohup viz3d record ...` ignores SIGHUP so that the recording outlives its terminal."""
    from viz3d.app.interrupt import StopRequest

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with StopRequest() as stop:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            signal.raise_signal(signal.SIGHUP)
            assert not stop.requested
    finally:
        signal.signal(signal.SIGHUP, before)


def test_a_recording_coloured_by_a_neuron_shows_it_from_the_first_frame(tmp_path):
    from vispy.color import get_colormap

    from viz3d.colors import palette

    preset = tmp_path / "neuron.toml"
    preset.write_text(preset_with_view("spirals", color_by="neuron"))
    out = tmp_path / "neuron.mp4"
    result = run_cli("record", str(preset), "--out", str(out), "--frames", "2", "--size", "320x180", "--no-ui")
    assert result.returncode == 0, result.stderr
    first = decode(out)[0].reshape(-1, 3).astype(int)

    def near(colors):
        distance = np.abs(first[:, None, :] - np.asarray(colors, int)[None, :, :]).max(axis=2)
        return int((distance.min(axis=1) <= 20).sum())

    viridis = (get_colormap("viridis").map(np.linspace(0.2, 1, 48))[:, :3] * 255).round()
    classes = (palette()[:2, :3] * 255).round()
    assert near(viridis) > 3 * near(classes)  # the first frame is in the neuron's colours, not the classes'


def test_frames_go_into_the_current_folder_and_leave_a_file_managers_notes(tmp_path, monkeypatch):
    from viz3d.app.recorder import check_record_output
    from viz3d.app.video import FrameWriter

    frame = np.zeros((16, 16, 3), np.uint8)
    here = tmp_path / "shots"
    here.mkdir()
    (here / ".DS_Store").write_bytes(b"finder")
    monkeypatch.chdir(here)
    check_record_output("./", lossless=False, force=False)  # empty but for the notes: no --force needed
    with FrameWriter("./", (16, 16), 30) as writer:
        writer.write(frame)
        writer.write(frame)
    assert sorted(p.name for p in here.iterdir()) == [".DS_Store", "frame-000000.png", "frame-000001.png"]
    with FrameWriter("./", (16, 16), 30, force=True) as writer:  # again: the old frames give way
        writer.write(frame)
    assert sorted(p.name for p in here.iterdir()) == [".DS_Store", "frame-000000.png"]
    assert (here / ".DS_Store").read_bytes() == b"finder" and not list(tmp_path.glob(".*partial*"))


def test_a_recording_captures_after_every_frame_that_trained(tmp_path, monkeypatch):
    """Every 10 steps at one step a frame made the shape jump 6 times a second in a 60 fps video."""
    from viz3d.app.recorder import RecordRequest, record
    from viz3d.app.state import ViewState
    from viz3d.presets import load_preset
    from viz3d.train.session import TrainingSession

    captured, layers = [], []
    original = TrainingSession.capture
    monkeypatch.setattr(TrainingSession, "capture", lambda self: captured.append(self.step) or original(self))
    set_layer = ViewState.set_layer
    monkeypatch.setattr(ViewState, "set_layer", lambda self, layer: layers.append(layer) or set_layer(self, layer))
    record(load_preset("spirals"), RecordRequest(out=str(tmp_path / "s.mp4"), size=(96, 64), fps=30, frames=16))
    assert layers[-1] == 9.0  # the default tour's sweep ends on the output layer, on the last frame drawn
    # Frame 0 shows the untrained model; then one capture after each of the 7 frames that trained. The
    # default tour trains exactly the preset's 3,000 steps in even shares, so its sweep through the
    # layers shows the trained model.
    assert captured == [0, 428, 857, 1285, 1714, 2142, 2571, 3000]


def test_a_keyframe_at_the_recordings_duration_is_on_its_last_frame(tmp_path, monkeypatch):
    """Frames at i / fps ended 1/fps short of the duration, so a tour's last keyframe was never shown."""
    from viz3d.app.recorder import RecordRequest, record
    from viz3d.app.state import ViewState
    from viz3d.app.tour import frame_time
    from viz3d.presets import load_preset

    layers = []
    set_layer = ViewState.set_layer
    monkeypatch.setattr(ViewState, "set_layer", lambda self, layer: layers.append(layer) or set_layer(self, layer))
    tour = "\n[[tour.keyframes]]\ntime = 0.0\nlayer = 0\n\n[[tour.keyframes]]\ntime = 1.0\nlayer = 3\n"
    path = tmp_path / "tour.toml"
    path.write_text((REPO / "presets" / "spirals.toml").read_text() + tour)
    record(load_preset(str(path)), RecordRequest(out=str(tmp_path / "t.mp4"), size=(96, 64), fps=30, frames=30))
    assert layers[-30] == 0.0 and layers[-1] == 3.0  # first and last frame: the first and last keyframe
    assert [frame_time(i, 30, 30) for i in (0, 29)] == [0.0, 1.0]
    assert frame_time(15, 30, 30) == pytest.approx(15 / 29)  # evenly between


def test_a_preset_tour_is_recorded_to_its_end_unless_a_length_is_asked(tmp_path, capsys):
    """A tour to 30 s was cut at the default 10 s without a word. With no length asked, the recording now
    lasts as long as the tour; a shorter length asked for is recorded, with a note saying so."""
    from viz3d.app.recorder import RecordRequest, record
    from viz3d.presets import load_preset

    tour = "\n[[tour.keyframes]]\ntime = 0.0\nlayer = 0\n\n[[tour.keyframes]]\ntime = 1.5\nlayer = 3\n"
    path = tmp_path / "tour.toml"
    path.write_text((REPO / "presets" / "spirals.toml").read_text() + tour)
    whole = record(load_preset(str(path)), RecordRequest(out=str(tmp_path / "whole.mp4"), size=(96, 64), fps=10))
    assert whole.frames == 15 and len(decode(whole.path)) == 15 and "the tour runs" not in capsys.readouterr().err
    request = RecordRequest(out=str(tmp_path / "cut.mp4"), size=(96, 64), fps=10, duration=0.5)
    assert record(load_preset(str(path)), request).frames == 5
    assert "viz3d: note: the tour runs to 1.5 s; recording its first 0.5 s (leave out the length, or ask for " \
        "1.5 s, for all of it)" in capsys.readouterr().err  # fmt: skip


def test_a_tour_says_how_many_steps_it_trains_where_the_presets_steps_differ(tmp_path, capsys):
    """A trial's tour, training on until 1.5 s at 40 steps a frame, ended at step 1,400 of its preset's
    steps = 1500 without a word: a tour's keyframes say when it trains, not [training] steps."""
    from viz3d.app.recorder import RecordRequest, record
    from viz3d.presets import load_preset

    spirals = (REPO / "presets" / "spirals.toml").read_text().replace("steps_per_frame = 1", "steps_per_frame = 40")
    assert "steps_per_frame = 40" in spirals
    tour = "\n[[tour.keyframes]]\ntime = 0.0\ntraining = true\n\n[[tour.keyframes]]\ntime = 1.5\ntraining = false\n"
    path = tmp_path / "tour.toml"
    path.write_text(spirals + tour)
    assert record(load_preset(str(path)), RecordRequest(out=str(tmp_path / "t.mp4"), size=(96, 64), fps=4)).frames == 6
    err = capsys.readouterr().err  # frames 1-4 of 0-5 train (0.3 to 1.2 s)
    assert "viz3d: note: the tour trains 160 steps (40 on each of the 4 frames it trains, at 4 fps); [training] " \
        "steps = 3,000 is what render and train run" in err  # fmt: skip
    record(load_preset("spirals"), RecordRequest(out=str(tmp_path / "default.mp4"), size=(96, 64), fps=4, frames=3))
    assert "the tour trains" not in capsys.readouterr().err  # the default tour trains the preset's steps
    (tmp_path / "more.toml").write_text(spirals.replace("steps = 3000", "steps = 100") + tour)
    record(load_preset(str(tmp_path / "more.toml")), RecordRequest(out=str(tmp_path / "m.mp4"), size=(96, 64), fps=4))
    err = capsys.readouterr().err
    assert "the tour trains 160 steps" in err and "lower steps_per_frame, to train fewer" in err
    still = "\n[[tour.keyframes]]\ntime = 0.0\ntraining = false\n\n[[tour.keyframes]]\ntime = 1.0\n"
    (tmp_path / "still.toml").write_text(spirals + still)
    record(load_preset(str(tmp_path / "still.toml")), RecordRequest(out=str(tmp_path / "s.mp4"), size=(96, 64), fps=4))
    assert "the tour trains" not in capsys.readouterr().err  # a tour that never trains is not told so


def test_record_steps_trains_before_the_first_frame_and_the_tour_trains_the_rest(tmp_path, monkeypatch):
    from viz3d.app.recorder import RecordRequest, record, steps_to_train
    from viz3d.presets import load_preset
    from viz3d.train.session import TrainingSession

    captured = []
    original = TrainingSession.capture
    monkeypatch.setattr(TrainingSession, "capture", lambda self: captured.append(self.step) or original(self))
    out = str(tmp_path / "s.mp4")
    record(load_preset("spirals"), RecordRequest(out=out, size=(96, 64), fps=30, frames=12, steps=2400))
    assert captured == [0, 2400, 2520, 2640, 2760, 2880, 3000]  # the check, trained, then 5 frames of the tour
    assert steps_to_train(6, per_frame=1, preset_remaining=0) == 6  # trained already: the preset's own rate
    assert steps_to_train(300, per_frame=2, preset_remaining=10) == 600  # never slower than the preset's rate
    assert steps_to_train(300, per_frame=2, preset_remaining=10, exactly=7) == 7  # viz3d.video(steps=7)


def test_view_and_tour_layers_may_be_last_or_a_name(tmp_path):
    from viz3d.app.preset_view import with_layer_positions
    from viz3d.errors import PresetError
    from viz3d.presets import load_preset

    text = (REPO / "presets" / "spirals.toml").read_text().replace("layer = 2  #", 'layer = "last"  #')
    tour = '\n[[tour.keyframes]]\ntime = 0.0\nlayer = "input"\n\n[[tour.keyframes]]\ntime = 1.0\nlayer = "last"\n'
    path = tmp_path / "named.toml"
    path.write_text(text + tour)
    preset = with_layer_positions(load_preset(str(path)), ["input", "0", "1", "2"])
    assert preset.view.layer == 3.0 and [k.layer for k in preset.tour.keyframes] == [0.0, 3.0]
    assert tour_at(preset.tour.keyframes, 0.5, preset.view, n_layers=4).layer == pytest.approx(1.5)
    path.write_text(text.replace('layer = "last"  #', 'layer = "tanh (module 1)"  #'))  # as the panel labels it
    labels = ["input", "Linear (module 0)", "Tanh (module 1)", "Linear (module 2)"]
    assert with_layer_positions(load_preset(str(path)), ["input", "0", "1", "2"], labels).view.layer == 2.0
    path.write_text(text + tour)
    result = run_cli("record", str(path), "--out", str(tmp_path / "n.mp4"), "--frames", "2", "--size", "96x64")
    assert result.returncode == 0, result.stderr
    path.write_text(text + tour.replace('"last"', '"fc9"'))
    with pytest.raises(PresetError, match=r"named.toml: \[tour.keyframes 2\] layer: unknown layer 'fc9'"):
        with_layer_positions(load_preset(str(path)), ["input", "0"])
    path.write_text(text.replace('layer = "last"  #', "layer = true  #"))
    with pytest.raises(PresetError, match=r"\[view\] layer: expected a finite number or a string, found True"):
        load_preset(str(path))


def test_frame_zero_shows_the_untrained_models_scores(tmp_path, monkeypatch):
    """A presenter wants the 'before' numbers: frame 0 said 'loss - accuracy -' until the first step."""
    from imgui_bundle import imgui

    from viz3d.app.recorder import RecordRequest, record
    from viz3d.presets import load_preset

    lines, text = [], imgui.text
    monkeypatch.setattr(imgui, "text", lambda line, *args, **kwargs: lines.append(line) or text(line, *args, **kwargs))
    record(load_preset("spirals"), RecordRequest(out=str(tmp_path / "s.mp4"), size=(640, 360), fps=30, frames=2))
    first = next(line for line in lines if line.startswith("loss "))
    assert "%" in first and "accuracy -" not in first, first


def test_a_recordings_last_scores_are_those_render_shows(tmp_path, monkeypatch):
    """The recorder showed the last step's training loss (measured before its update), render the model's
    after training: spirals read 1.768e-05 in the video and 1.767e-05 in the picture."""
    from imgui_bundle import imgui

    from viz3d.app.recorder import RecordRequest, record
    from viz3d.presets import load_preset
    from viz3d.train.session import session_from_preset

    lines, text = [], imgui.text
    monkeypatch.setattr(imgui, "text", lambda line, *args, **kwargs: lines.append(line) or text(line, *args, **kwargs))
    record(load_preset("spirals"), RecordRequest(out=str(tmp_path / "s.mp4"), size=(640, 360), fps=30, frames=8))
    session = session_from_preset(load_preset("spirals"))
    session.train(load_preset("spirals").training.steps)
    stats = session.final_stats()
    last = next(line for line in reversed(lines) if line.startswith("loss "))
    assert last.startswith(f"loss {stats.loss:.4g}") and f"{100 * stats.accuracy:.1f}%" in last, last


def test_every_frames_scores_are_those_of_the_model_it_draws(tmp_path, monkeypatch):
    """A lecturer's trial: "step 45 loss 0.6861" was step 44's loss on every frame but the last, as a step
    reports the loss it computed before its own update. Each frame's scores are checked against a session
    trained to that frame's step and evaluated there, as `render --steps N` shows it."""
    import viz3d.app.recorder as recorder
    from viz3d.app.recorder import RecordRequest, record
    from viz3d.presets import load_preset
    from viz3d.train.session import session_from_preset

    status, shown = recorder._status, []

    def recorded(session, playing):
        shown.append((session.step, session.last_stats))
        return status(session, playing)

    monkeypatch.setattr(recorder, "_status", recorded)
    preset = load_preset("disks-2d")
    record(preset, RecordRequest(out=str(tmp_path / "d.mp4"), size=(320, 180), fps=30, frames=12, train_steps=40))
    steps = sorted({step for step, _ in shown})
    assert len(steps) >= 5 and steps[-1] == 40
    replay, expected = session_from_preset(preset), {}
    for step in steps:
        replay.train(step - replay.step)
        expected[step] = replay.final_stats()
    for step, stats in shown:
        assert stats.loss == pytest.approx(expected[step].loss, rel=1e-5), f"step {step}"
        assert stats.accuracy == pytest.approx(expected[step].accuracy), f"step {step}"


def test_only_a_users_train_step_is_turned_into_the_one_line_stop():
    """A preset's own failure (a CUDA out-of-memory, say) must keep the CLI's handling of unexpected errors
    and its traceback under VIZ3D_DEBUG; a user's step gets one line, its message's first."""
    import torch
    from torch import nn

    from viz3d.app.recorder import _train_step
    from viz3d.errors import Viz3dError
    from viz3d.train.user_session import user_session

    def failing(step):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2 GiB\nGPU 0 has a total capacity of 8 GiB")

    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
    session = user_session(model, torch.randn(20, 2), torch.zeros(20, dtype=torch.long), failing)
    with pytest.raises(Viz3dError) as caught:
        _train_step(session)
    expected = "your train_step raised RuntimeError at step 0: CUDA out of memory. Tried to allocate 2 GiB"
    assert str(caught.value) == expected
    session._train_step = lambda step: (_ for _ in ()).throw(AssertionError())  # a bare assert: no message
    with pytest.raises(Viz3dError, match=r"^your train_step raised AssertionError at step 0$"):
        _train_step(session)
    session._train_step = failing
    session.steps_are_users = False  # as a preset's session
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        _train_step(session)


@pytest.mark.parametrize("frames", [2, 3])
def test_a_recording_of_two_or_three_frames_still_trains_the_preset(gl, tmp_path, monkeypatch, frames):
    """With 3 frames, frame 1 fell exactly where the default tour stops training, so no frame trained and
    the thumbnail showed the untrained model at 50%: the preset's steps now come before frame 1."""
    import dataclasses

    import viz3d.app.recorder as recorder
    from viz3d.presets import load_preset

    preset = load_preset("spirals")
    preset = dataclasses.replace(preset, training=dataclasses.replace(preset.training, steps=30))
    steps = []
    train_step = recorder._train_step
    monkeypatch.setattr(recorder, "_train_step", lambda session: steps.append(session.step) or train_step(session))
    request = recorder.RecordRequest(out=f"{tmp_path}/thumb/", size=(64, 64), frames=frames, ui=False)
    result = recorder.record(preset, request)
    assert result.frames == frames and steps == list(range(30))


CUT_TOUR = """schema_version = 1
title = "cut"
[training]
steps = 20
[[tour.keyframes]]
time = 0.0
layer = 0
[[tour.keyframes]]
time = 1.0
layer = 0
[[tour.keyframes]]
time = 1.0
layer = "last"
training = false
[[tour.keyframes]]
time = 2.0
"""


def test_a_cut_in_the_tour_cuts_the_framing_too(tmp_path):
    """A trial's two keyframes at one time cut to the last layer, but the camera slid after it for a
    second, the layer in a corner below the ground meanwhile."""
    preset = tmp_path / "cut.toml"
    preset.write_text(CUT_TOUR)
    assert cut_times(load_preset(str(preset)).tour.keyframes) == (1.0,)
    held = (Keyframe(time=0.0, layer=0), Keyframe(time=2.0, layer=2), Keyframe(time=2.0, overlay=False))
    assert cut_times(held) == ()  # a review: the panel turned off at a keyframe's time is no cut
    apart = (*held, Keyframe(time=2.0, azimuth=30.0), Keyframe(time=2.0, layer=0))
    assert cut_times(apart) == (2.0,)  # the layer jumps, whatever lies between the two that set it
    frames = tmp_path / "frames"
    result = run_cli("record", str(preset), "--out", f"{frames}/", "--size", "160x96", "--fps", "10", "--no-ui")
    assert result.returncode == 0, result.stderr
    shown = [np.asarray(Image.open(frames / f"frame-{index:06d}.png").convert("RGB")).astype(int) for index in (10, 14)]
    assert np.abs(shown[0] - shown[1]).mean() < 1.0  # framed at the cut as it stays, not sliding there
