"""Colours and words for each connection environment (banner, title, status bar)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnvironmentStyle:
    label: str
    background: str
    foreground: str


STYLES = {
    "production": EnvironmentStyle("PRODUCTION", "#b3261e", "#ffffff"),
    "staging": EnvironmentStyle("Staging", "#b26a00", "#ffffff"),
    "development": EnvironmentStyle("Development", "#2e7d32", "#ffffff"),
    "demo": EnvironmentStyle("Demo", "#1f5fa8", "#ffffff"),
}


def style_for(environment: str) -> EnvironmentStyle:
    return STYLES.get(environment, STYLES["development"])
