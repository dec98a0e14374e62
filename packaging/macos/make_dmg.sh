#!/usr/bin/env bash
# macOS: the Tenantry.app bundle (from packaging/tenantry.spec's BUNDLE step) in a .dmg.
#
#   python packaging/build.py            # dist/Tenantry.app (and dist/tenantry/)
#   packaging/macos/make_dmg.sh          # dist/tenantry-<version>-macos-<arch>.dmg, smoke-tested
#
# The .app is signed ad hoc by PyInstaller. For distribution outside the team, sign it with
# a Developer ID and notarize (set SIGN_IDENTITY to sign here; notarization needs Apple
# credentials: `xcrun notarytool submit <dmg> --wait`, then `xcrun stapler staple <dmg>`).
# NOT RUN on the Linux development machine: only in CI on macos-14.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' desktop/__init__.py)  # the one version
arch=$(uname -m)
app=dist/Tenantry.app
dmg="dist/tenantry-${version}-macos-${arch}.dmg"
[ -d "$app" ] || { echo "make_dmg.sh: $app is missing: run python packaging/build.py first" >&2; exit 1; }

if [ -n "${SIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$SIGN_IDENTITY" "$app"
fi
codesign --verify --deep --strict "$app"

smoke() {  # $1: the .app to run
  local home
  home=$(mktemp -d)
  QT_QPA_PLATFORM=offscreen TENANTRY_HOME="$home" "$1/Contents/MacOS/tenantry" --smoke
  QT_QPA_PLATFORM=offscreen TENANTRY_HOME="$home" "$1/Contents/MacOS/tenantry" --demo --demo-size 300 --smoke
  rm -rf "$home"
}
smoke "$app"

staging=$(mktemp -d)
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "Tenantry $version" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
rm -rf "$staging"

# Run the copy inside the disk image, as a user would before dragging it to Applications.
mountpoint=$(mktemp -d)
hdiutil attach -nobrowse -readonly -mountpoint "$mountpoint" "$dmg" >/dev/null
trap 'hdiutil detach "$mountpoint" >/dev/null || true' EXIT
smoke "$mountpoint/Tenantry.app"
echo "make_dmg.sh: $dmg ($(du -h "$dmg" | cut -f1))"
