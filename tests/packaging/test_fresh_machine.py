"""The fresh-machine check reads its commands from the README, and they are the README's."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "fresh_machine.sh"


def _readme_blocks() -> dict[str, str]:
    """Each `<!-- fresh-machine: NAME -->` marker and the first line of the block after it."""
    text = (ROOT / "README.md").read_text()
    return dict(re.findall(r"<!-- fresh-machine: (\S+) -->\n```sh\n(.*)\n", text))


def test_the_check_runs_the_readmes_own_commands() -> None:
    result = subprocess.run(
        ["bash", str(SCRIPT), "--print-commands"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    printed = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    blocks = _readme_blocks()
    assert set(blocks) == {"system-packages", "demo", "tests"}
    assert printed == blocks
    assert blocks["demo"].endswith("main.py --demo")  # the check appends --smoke
    assert blocks["tests"].endswith("python -m pytest")


def test_the_system_packages_script_installs_the_package_list() -> None:
    script = (ROOT / "packaging" / "system-packages.sh").read_text()
    assert "debian-packages.txt" in script
    assert "sudo" in script and 'id -u)" -eq 0' in script  # root directly, others by sudo
    packages = [
        line
        for line in (ROOT / "packaging" / "debian-packages.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    # Qt's xcb plugin needs these beyond libxcb-cursor0 (a window failed without them).
    assert {"libxcb-icccm4", "libxcb-keysyms1", "xvfb", "gnome-keyring"} <= set(packages)
    assert not {"nodejs", "npm"} & set(packages)  # Node.js comes from a wheel


def test_bad_arguments_exit_2() -> None:
    result = subprocess.run(
        ["bash", str(SCRIPT), "--as", "nobody-else"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr
