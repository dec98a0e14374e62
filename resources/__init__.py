"""The app icon (SVG source, PNG/ICO/ICNS renders), installed as `desktop.resources`."""
