"""Rendering: GL contexts, shader loading, GPU visuals and the frame renderer.

Importing this package imports no GL; the submodules that need it import it themselves, after
`viz3d.render.platform.use_headless` has had its chance to pick the EGL platform.
"""
