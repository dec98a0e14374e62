"""`--smoke` without a database exits once the window has painted, and says when (the
start-up benchmark times process start to that moment)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_reports_the_first_paint_then_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TENANTRY_HOME": str(tmp_path)}
    launched = time.time()
    out = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--smoke"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ended = time.time()
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line for line in out.stdout.splitlines() if "window painted at" in line]
    assert len(lines) == 1, out.stdout
    painted = float(lines[0].rsplit(" ", 1)[1])
    assert launched < painted < ended
