#!/bin/sh
# Installs the Debian/Ubuntu packages Tenantry needs (packaging/debian-packages.txt):
# Qt's X11/Wayland libraries, D-Bus and gnome-keyring, Xvfb and the packaging tools.
# Run it as root (a minimal Debian has no sudo), or as an ordinary user with sudo.
set -eu
here=$(dirname "$0")
packages=$(grep -v '^#' "$here/debian-packages.txt")
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "system-packages.sh: run it as root, or install sudo: apt-get needs root" >&2
    exit 1
fi
$as_root apt-get update
# shellcheck disable=SC2086 # one word per package
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
