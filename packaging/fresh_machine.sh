#!/usr/bin/env bash
# The fresh-machine check: the README's commands, as written, on a clean minimal Debian 12.
#
#   sudo packaging/fresh_machine.sh [--as root|user|both] [--no-tests] [--no-cache] [--keep]
#   packaging/fresh_machine.sh --print-commands    (the README's commands it would run)
#
# 1. Builds a minimal Debian 12 root once (debootstrap --variant=minbase with only
#    python3, python3-venv, python3-pip, git and ca-certificates) and keeps it as a tar in
#    $TENANTRY_FRESH_CACHE (default /var/cache/tenantry-fresh-machine); each run unpacks a
#    new copy of it.
# 2. Copies a clean clone of this repository's HEAD in (/root/tenantry for root,
#    /home/dev/tenantry for an ordinary user "dev" who may use sudo).
# 3. Reads the commands from the README (the code block after each `fresh-machine:`
#    marker), so README and check cannot drift apart, and runs them as written: the
#    system packages; the demo command with --smoke appended, on Xvfb through Qt's xcb
#    plugin (after checking with ldd that Qt's X11 and Wayland plugins find every
#    library); the test command with CI=true (the Firebase tests included).
#
# Everything runs in its own mount and PID namespaces: no mount, server or daemon
# outlives the check. Each step's time is printed, and a summary at the end; any failure
# exits non-zero. Only this machine's own set-up is carried in (its apt sources, extra CA
# certificates, and the environment variables that point pip, node and the other TLS
# clients at its package index and CA bundle), plus, unless --no-cache, pip's and npm's download
# caches (the same packages, fetched once).
set -euo pipefail
# One compound command: bash reads it whole before running it, so editing this file
# while a check runs cannot change the running check.
{

here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
cache=${TENANTRY_FRESH_CACHE:-/var/cache/tenantry-fresh-machine}
suite=bookworm
base_packages=python3,python3-venv,python3-pip,git,ca-certificates
as=both
run_tests=1
use_cache=1
keep=0
print_commands=0

usage() {
    echo "usage: $0 [--as root|user|both] [--no-tests] [--no-cache] [--keep] | --print-commands" >&2
    exit 2
}

if [ "${1:-}" = "--inside" ]; then
    inside=1
    root=$2
    shift 2
else
    inside=0
fi
while [ $# -gt 0 ]; do
    case $1 in
        --as) as=${2:-}; shift 2 ;;
        --no-tests) run_tests=0; shift ;;
        --no-cache) use_cache=0; shift ;;
        --keep) keep=1; shift ;;
        --print-commands) print_commands=1; shift ;;
        *) usage ;;
    esac
done
case $as in root | user | both) ;; *) usage ;; esac

timings=()
step_started=0
step_name=""
step() {
    step_name=$*
    step_started=$(date +%s)
    printf '\n--- fresh machine: %s ---\n' "$step_name"
}
step_done() {
    local seconds=$(($(date +%s) - step_started))
    timings+=("$(printf '%6d s  %s' "$seconds" "$step_name")")
    printf -- '--- %s: %d s ---\n' "$step_name" "$seconds"
}
summary() {
    printf '\n=== fresh machine: step times ===\n'
    printf '%s\n' "${timings[@]}"
}

readme_command() {
    # The first line of the code block after `<!-- fresh-machine: NAME -->` in README.md.
    local line
    line=$(awk -v name="$1" '
        $0 == "<!-- fresh-machine: " name " -->" { found = 1; next }
        found && /^```/ { if (block) exit; block = 1; next }
        found && block { print; exit }
    ' "$repo/README.md")
    if [ -z "$line" ]; then
        echo "fresh_machine.sh: README.md has no command after <!-- fresh-machine: $1 -->" >&2
        exit 1
    fi
    printf '%s' "$line"
}

if [ $print_commands = 1 ]; then
    for name in system-packages demo tests; do
        printf '%s: %s\n' "$name" "$(readme_command $name)"
    done
    exit 0
fi

# ---------------------------------------------------------------------------------------
# Inside the namespaces: mounts, then the README's commands in the chroot.
# ---------------------------------------------------------------------------------------
if [ $inside = 1 ]; then
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    if [ $use_cache = 1 ]; then
        for kind in pip npm; do
            mkdir -p "$cache/$kind/root" "$cache/$kind/user" "$root/var/cache/fresh-$kind"
            chown 1000:1000 "$cache/$kind/user"
            mount --bind "$cache/$kind" "$root/var/cache/fresh-$kind"
        done
    fi

    system_command=$(readme_command system-packages)
    demo_command=$(readme_command demo)
    test_command=$(readme_command tests)
    case $demo_command in
        *"main.py --demo") ;;
        *) echo "fresh_machine.sh: the demo command does not end in 'main.py --demo'" >&2; exit 1 ;;
    esac

    pass_env=(LANG=C.UTF-8 TERM=dumb)
    while IFS='=' read -r name value; do
        # This machine's own network set-up: its package index and the CA bundle that
        # its TLS clients (pip, npm's node, git, requests) are told to trust.
        case $name in
            PIP_CERT | PIP_DEFAULT_TIMEOUT | PIP_DISABLE_PIP_VERSION_CHECK | PIP_INDEX_URL | \
                PIP_EXTRA_INDEX_URL | PIP_TRUSTED_HOST | NODE_EXTRA_CA_CERTS | SSL_CERT_FILE | \
                SSL_CERT_DIR | REQUESTS_CA_BUNDLE | CURL_CA_BUNDLE | GIT_SSL_CAINFO | \
                HTTPS_PROXY | HTTP_PROXY | NO_PROXY | https_proxy | http_proxy | no_proxy)
                pass_env+=("$name=$value") ;;
        esac
    done < <(env)
    path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

    # in_root USER SCRIPT: run SCRIPT with bash in the chroot, as root or as dev.
    in_root() {
        local who=$1 script=$2 home user_spec=() caches=()
        if [ "$who" = root ]; then
            home=/root
        else
            home=/home/dev
            user_spec=(--userspec=1000:1000 --groups=27)
        fi
        if [ $use_cache = 1 ]; then
            caches=(PIP_CACHE_DIR=/var/cache/fresh-pip/"$who" npm_config_cache=/var/cache/fresh-npm/"$who")
        fi
        chroot "${user_spec[@]}" "$root" /usr/bin/env -i HOME=$home USER="$who" \
            LOGNAME="$who" PATH=$path "${pass_env[@]}" "${caches[@]}" \
            /bin/bash -euo pipefail -c "$script"
    }

    ldd_check='
        site=$(echo .venv/lib/python3*/site-packages)
        missing=$(ldd "$site"/PySide6/Qt/plugins/platforms/libqxcb.so \
            "$site"/PySide6/Qt/plugins/platforms/libqwayland*.so \
            "$site"/PySide6/Qt/plugins/xcbglintegrations/*.so | grep "not found" | sort -u || true)
        if [ -n "$missing" ]; then
            echo "Qt platform plugins miss libraries (add their packages to packaging/debian-packages.txt):"
            echo "$missing"
            exit 1
        fi
        echo "Qt xcb and wayland plugins: every library found"'
    on_xvfb='
        display_file=$(mktemp) xvfb_log=$(mktemp)
        Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$display_file" 2>"$xvfb_log" &
        xvfb=$!
        for _ in $(seq 100); do [ -s "$display_file" ] && break; sleep 0.1; done
        [ -s "$display_file" ] || { cat "$xvfb_log"; exit 1; }
        export DISPLAY=:$(cat "$display_file") QT_QPA_PLATFORM=xcb
        echo "Xvfb on $DISPLAY, QT_QPA_PLATFORM=xcb"'

    run_as() {
        local who=$1 dir
        [ "$who" = root ] && dir=/root/tenantry || dir=/home/dev/tenantry
        step "$who: README system packages: $system_command"
        in_root "$who" "cd $dir && $system_command"
        step_done
        step "$who: README demo command with --smoke, on Xvfb (xcb): $demo_command --smoke"
        in_root "$who" "cd $dir
            home_mode=\$(stat -c %a ~)
            $on_xvfb
            rc=0; $demo_command --smoke || rc=\$?
            kill \$xvfb; [ \$rc = 0 ] || exit \$rc
            [ \$(stat -c %a ~) = \$home_mode ] || { echo \"--demo changed the mode of ~\"; exit 1; }
            echo \"home directory mode unchanged: \$home_mode\"
            $ldd_check"
        step_done
        if [ $run_tests = 1 ]; then
            step "$who: README test command with CI=true: $test_command"
            in_root "$who" "cd $dir && export CI=true && $test_command"
            step_done
        fi
    }

    trap summary EXIT
    if [ "$as" != user ]; then run_as root; fi
    if [ "$as" != root ]; then run_as user; fi
    exit 0
fi

# ---------------------------------------------------------------------------------------
# Outside: the cached base, a new root, the clean clones, then the namespaces.
# ---------------------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
    echo "fresh_machine.sh: needs root (debootstrap, chroot, mounts)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)

mirror() {
    # The Debian mirror this machine's apt already uses.
    local uri
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || { echo "fresh_machine.sh: no Debian mirror configured in apt" >&2; exit 1; }
    printf '%s' "$uri"
}

base_tar="$cache/base-$suite-minbase-$(printf '%s' "$base_packages" | sha1sum | cut -c1-10).tar"
step "base system (debootstrap minbase + $base_packages; cached)"
if [ ! -s "$base_tar" ]; then
    for tool in debootstrap unshare; do
        command -v $tool >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap util-linux >/dev/null; }
    done
    mkdir -p "$cache"
    build=$(mktemp -d /var/tmp/tenantry-fresh-base.XXXXXX)
    debootstrap --variant=minbase --include="$base_packages" "$suite" "$build" "$(mirror)" \
        >"$build.log" 2>&1 || { tail -30 "$build.log"; rm -rf --one-file-system "$build"; exit 1; }
    tar -C "$build" -cf "$base_tar.partial" .
    mv "$base_tar.partial" "$base_tar"
    rm -rf --one-file-system "$build" "$build.log"
else
    echo "cached: $base_tar"
fi
step_done

root=$(mktemp -d /var/tmp/tenantry-fresh.XXXXXX)
cleanup() {
    if [ $keep = 1 ]; then
        echo "kept: $root"
    else
        rm -rf --one-file-system "$root"
    fi
}
trap cleanup EXIT

step "a new root, this machine's set-up (apt sources, CA certificates), clean clones"
tar -C "$root" -xf "$base_tar"
chmod 0755 "$root"
cp /etc/resolv.conf /etc/hosts "$root/etc/"
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
fi
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" /usr/sbin/update-ca-certificates >/dev/null
fi
git clone -q --no-hardlinks "$repo" "$root/root/tenantry"
echo "clone: $(git -C "$root/root/tenantry" log --oneline -1)"
if [ "$as" != root ]; then
    # An ordinary user who may use sudo (without a password: the check has no terminal).
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        /bin/sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends sudo >/dev/null'
    chroot "$root" /usr/sbin/useradd --uid 1000 --create-home --shell /bin/bash --groups sudo dev
    echo 'dev ALL=(ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/dev"
    chmod 0440 "$root/etc/sudoers.d/dev"
    git clone -q --no-hardlinks "$repo" "$root/home/dev/tenantry"
    chown -R 1000:1000 "$root/home/dev/tenantry"
fi
step_done

args=(--as "$as")
[ $run_tests = 1 ] || args+=(--no-tests)
[ $use_cache = 1 ] || args+=(--no-cache)
rc=0
unshare --mount --propagation private --pid --fork --kill-child \
    "$0" --inside "$root" "${args[@]}" || rc=$?
summary
echo "fresh machine: $([ $rc = 0 ] && echo passed || echo "FAILED (exit $rc)") in $(($(date +%s) - started)) s"
exit $rc
}
