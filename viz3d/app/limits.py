"""The bounds a picture or a recording's options must keep, shared by the CLI's flags and the Python API."""

SIDES = (16, 16384)  # pixels, each side of a picture or a frame
DAY = 86400.0  # seconds: a longer video is a typo
FPS_MAX = 240  # frames a second: a faster video plays on no projector (1000 is a typo)
