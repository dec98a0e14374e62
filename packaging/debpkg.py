"""The Debian package: stage the frozen bundle under /opt, write the metadata, dpkg-deb it.

Used by packaging/build.py. The package is built by hand (no debhelper): the bundle goes
to /opt/tenantry, `/usr/bin/tenantry` links to it, a .desktop entry and the icons go under
/usr/share. `dpkg-deb --root-owner-group` makes every file root-owned without fakeroot.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "tenantry"
ARCH = "amd64"
INSTALL_DIR = Path("opt") / PACKAGE

# Libraries the bundle takes from the system (PyInstaller leaves out glibc, the GL/EGL
# drivers, libxcb and the Wayland client libraries on purpose) and the packages that
# ship them. `missing_dependencies()` checks the bundle against this list.
MIN_GLIBC = "2.36"
DEPENDS = (
    f"libc6 (>= {MIN_GLIBC})",
    "libgl1",
    "libegl1",
    "libxcb1",
    "libfontconfig1",
    "libxkbcommon0",
    "libdbus-1-3",
    "libwayland-client0",
    "libwayland-cursor0",
    "libwayland-egl1",
)
RECOMMENDS = ("gnome-keyring", "fonts-dejavu-core")

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)

DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Name=Tenantry
GenericName=Database Administration
Comment=Browse and administer the multi-tenant PostgreSQL database
Exec=tenantry %U
TryExec=tenantry
Icon=tenantry
Terminal=false
Categories=Development;Database;
Keywords=postgresql;database;tenant;admin;
StartupWMClass=tenantry
"""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Tenantry
Comment: The bundle under /opt/tenantry also carries Python, Qt (LGPL-3.0) via PySide6,
 PostgreSQL (PostgreSQL licence) and the Python packages listed in
 /opt/tenantry/_internal/*.dist-info, each under its own licence.

Files: *
Copyright: Tenantry authors
License: Proprietary
"""


@dataclass(frozen=True)
class Metadata:
    version: str  # the Python package version, e.g. "0.1.0" or "0.2.0rc1"
    description: str
    maintainer: str = "Tenantry maintainers <tenantry@localhost>"

    @property
    def debian_version(self) -> str:
        return debian_version(self.version)

    @property
    def deb_name(self) -> str:
        return f"{PACKAGE}_{self.debian_version}_{ARCH}.deb"


def debian_version(version: str) -> str:
    """PEP 440 to Debian ordering: pre-releases sort before the release (`~`)."""
    version = re.sub(r"(?<=\d)\.?(a|b|rc|dev)(\d*)", r"~\1\2", version)
    return version.replace("+", "+local.").replace("_", ".")


def control_text(meta: Metadata, installed_kib: int) -> str:
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {meta.debian_version}\n"
        f"Architecture: {ARCH}\n"
        f"Maintainer: {meta.maintainer}\n"
        f"Installed-Size: {installed_kib}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        f"Recommends: {', '.join(RECOMMENDS)}\n"
        "Section: database\n"
        "Priority: optional\n"
        f"Description: {meta.description}\n"
        " Tenantry is a desktop admin client (Qt) for the product's multi-tenant\n"
        " PostgreSQL database: organizations, their users and plugins. It ships its own\n"
        " Python, Qt and an embedded PostgreSQL server for the demo database, and keeps\n"
        " secrets in the desktop keyring (Secret Service, e.g. gnome-keyring).\n"
    )


def _normalize_modes(root: Path) -> None:
    """0755 for folders and executables, 0644 for the rest: whoever runs the app (and the
    `nobody` account the embedded server uses under root) can read and traverse it."""
    for folder, _dirs, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            path = Path(folder, name)
            if path.is_symlink():
                continue
            executable = path.stat().st_mode & 0o111
            os.chmod(path, 0o755 if executable else 0o644)


def _tree_kib(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total // 1024 + 1


def stage(bundle: Path, resources: Path, meta: Metadata, staging: Path) -> Path:
    """Lay out the package tree in `staging` (emptied first) and return it."""
    if staging.exists():
        shutil.rmtree(staging)
    target = staging / INSTALL_DIR
    shutil.copytree(bundle, target, symlinks=True)
    (staging / "usr" / "bin").mkdir(parents=True)
    (staging / "usr" / "bin" / PACKAGE).symlink_to(Path("/") / INSTALL_DIR / PACKAGE)
    share = staging / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    (share / "applications" / f"{PACKAGE}.desktop").write_text(DESKTOP_ENTRY)
    icons = share / "icons" / "hicolor"
    for size in ICON_SIZES:
        folder = icons / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copyfile(resources / f"tenantry-{size}.png", folder / f"{PACKAGE}.png")
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(resources / "tenantry.svg", icons / "scalable" / "apps" / f"{PACKAGE}.svg")
    (share / "doc" / PACKAGE).mkdir(parents=True)
    (share / "doc" / PACKAGE / "copyright").write_text(COPYRIGHT)
    _normalize_modes(staging)
    (staging / "DEBIAN").mkdir(mode=0o755)
    (staging / "DEBIAN" / "control").write_text(control_text(meta, _tree_kib(staging)))
    os.chmod(staging / "DEBIAN" / "control", 0o644)
    return staging


def build_deb(staging: Path, output: Path, compression: str = "zstd") -> Path:
    """`dpkg-deb --build` the staged tree into `output` (a .deb path)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(staging)]
        + [str(output)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return output


# -- what the bundle needs from the system ------------------------------------------------


def _elf_files(root: Path) -> Iterable[Path]:
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def system_libraries(bundle: Path) -> tuple[set[str], str]:
    """The sonames the bundle's ELF files need that it does not carry, and the newest
    glibc symbol version any of them references."""
    needed: set[str] = set()
    carried: set[str] = set()
    newest = (0, 0)
    for path in _elf_files(bundle):
        carried.add(path.name)
        out = subprocess.run(
            ["readelf", "--dynamic", "--version-info", "--wide", str(path)],
            capture_output=True,
            text=True,
        ).stdout
        needed.update(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))
        for major, minor in re.findall(r"Name: GLIBC_(\d+)\.(\d+)", out):
            newest = max(newest, (int(major), int(minor)))
    for _folder, _, files in os.walk(bundle):
        carried.update(files)  # symlinked sonames count as carried
    return needed - carried, f"{newest[0]}.{newest[1]}"


def owning_package(soname: str) -> str | None:
    """The installed Debian package that ships `soname` on this machine."""
    result = subprocess.run(["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    return result.stdout.split(":", 1)[0].split(",")[0].strip()


def missing_dependencies(bundle: Path) -> list[str]:
    """Problems: system libraries whose package is not in DEPENDS, or a glibc too new."""
    declared = {entry.split()[0] for entry in DEPENDS}
    libraries, glibc = system_libraries(bundle)
    problems = []
    for soname in sorted(libraries):
        package = owning_package(soname)
        if package is None:
            problems.append(f"{soname}: not found on this machine (dpkg -S)")
        elif package.split(":")[0] not in declared:
            problems.append(f"{soname}: from {package}, which is not in Depends")
    if tuple(map(int, glibc.split("."))) > tuple(map(int, MIN_GLIBC.split("."))):
        problems.append(f"the bundle needs glibc {glibc}, Depends says >= {MIN_GLIBC}")
    return problems
