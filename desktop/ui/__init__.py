"""The Qt layer: windows, dialogs, models and the background-work helper."""
