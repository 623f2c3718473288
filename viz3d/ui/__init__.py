"""The overlay: ImGui panels and input handling. They edit `ViewState` only and never call GL."""
