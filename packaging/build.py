"""Build the frozen bundle (PyInstaller) and, on Linux, dist/tenantry_<version>_amd64.deb.

    python packaging/build.py                 # bundle + .deb (zstd), sizes and times printed
    python packaging/build.py --compression xz        # ~27% smaller .deb, ~40x slower
    python packaging/build.py --compare-compression   # also time the other compressor

zstd is the default: every system new enough for the bundle (glibc >= 2.36: Debian 12,
Ubuntu 22.10 and later) has a dpkg that reads it, and it keeps the CI check fast.

Needs the `package` extra (`pip install -e '.[package]'`) and, for the .deb, dpkg-deb and
readelf (Debian: dpkg, binutils). Writes dist/tenantry/ (the one-folder bundle; on macOS
also dist/Tenantry.app), the .deb (Linux only) and dist/build-report.json (what
packaging/check.py reads and CI prints). The Windows installer and the macOS disk image
are made from the bundle by packaging/windows/tenantry.iss and packaging/macos/make_dmg.sh.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import debpkg  # noqa: E402

DIST = ROOT / "dist"
WORK = ROOT / "build"
BUNDLE = DIST / debpkg.PACKAGE
REPORT = DIST / "build-report.json"
MIB = 1024 * 1024


def project() -> dict[str, str]:
    """pyproject's [project] table, with the version it reads from desktop/__init__.py."""
    from desktop import __version__

    info: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {**info, "version": __version__}


def tree_size(root: Path) -> int:
    """Bytes of the regular files under `root` (symlinks not followed, not counted)."""
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def build_bundle(clean: bool) -> float:
    """Run PyInstaller on packaging/tenantry.spec; returns the seconds it took."""
    args = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK / "pyinstaller"),
        str(ROOT / "packaging" / "tenantry.spec"),
    ]
    if clean:
        args.insert(3, "--clean")
    started = time.monotonic()
    subprocess.run(args, check=True, cwd=ROOT)
    return time.monotonic() - started


def build_deb(meta: debpkg.Metadata, compression: str) -> tuple[Path, float]:
    started = time.monotonic()
    staging = debpkg.stage(BUNDLE, ROOT / "resources", meta, WORK / "deb" / debpkg.PACKAGE)
    deb = debpkg.build_deb(staging, DIST / meta.deb_name, compression)
    return deb, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first")
    parser.add_argument("--skip-bundle", action="store_true", help="reuse dist/tenantry")
    parser.add_argument("--no-deb", action="store_true", help="only build the bundle")
    parser.add_argument("--compression", choices=("xz", "zstd", "gzip"), default="zstd")
    parser.add_argument(
        "--compare-compression", action="store_true", help="also build with zstd, to compare"
    )
    args = parser.parse_args(argv)

    info = project()
    meta = debpkg.Metadata(version=info["version"], description=info["description"])
    report: dict[str, object] = {"version": meta.version}

    if not args.skip_bundle:
        report["bundle_build_s"] = round(build_bundle(args.clean), 1)
    exe = BUNDLE / (debpkg.PACKAGE + (".exe" if sys.platform == "win32" else ""))
    if not exe.exists():
        print(f"build.py: no bundle in {BUNDLE}", file=sys.stderr)
        return 1
    report["bundle"] = str(BUNDLE)
    report["bundle_bytes"] = tree_size(BUNDLE)

    if sys.platform.startswith("linux") and not args.no_deb:
        problems = debpkg.missing_dependencies(BUNDLE)
        if problems:
            print("build.py: the .deb's Depends do not cover the bundle:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        deb, seconds = build_deb(meta, args.compression)
        report.update(
            deb=str(deb),
            deb_bytes=deb.stat().st_size,
            deb_build_s=round(seconds, 1),
            deb_compression=args.compression,
        )
        if args.compare_compression:
            other = "zstd" if args.compression != "zstd" else "xz"
            started = time.monotonic()
            staging = WORK / "deb" / debpkg.PACKAGE
            alt = debpkg.build_deb(staging, WORK / f"compare-{other}.deb", other)
            report[f"deb_{other}_bytes"] = alt.stat().st_size
            report[f"deb_{other}_s"] = round(time.monotonic() - started, 1)
            alt.unlink()

    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    return 0


def print_report(report: dict[str, object]) -> None:
    def mib(key: str) -> str:
        value = report.get(key)
        return f"{int(value) / MIB:.1f} MiB" if isinstance(value, int) else "-"

    print(f"\nTenantry {report['version']}")
    print(f"  bundle      {mib('bundle_bytes'):>10}  {report.get('bundle', '')}")
    if "bundle_build_s" in report:
        print(f"  build       {report['bundle_build_s']:>8} s  (PyInstaller)")
    if "deb" in report:
        compression = report["deb_compression"]
        print(f"  .deb        {mib('deb_bytes'):>10}  {report['deb']} ({compression})")
        print(f"  .deb build  {report['deb_build_s']:>8} s  (stage + dpkg-deb)")
    for other in ("xz", "zstd"):
        if f"deb_{other}_bytes" in report:
            size, seconds = mib(f"deb_{other}_bytes"), report[f"deb_{other}_s"]
            print(f"  .deb {other:<5}  {size:>10}  {seconds} s")


if __name__ == "__main__":
    sys.exit(main())
