"""The application: the view state, the live loop, and offscreen rendering of stills."""
