#!/usr/bin/env bash
# Install the Debian packages some tests need, where they are missing and it is safe:
#   chromium  the admin page's browser test
#   age       proves stored encrypted artifacts open with the standard age tool
# Only as root, without recommended packages, and only when apt would upgrade nothing
# already installed (a test run must not change the host's other software).
set -u
missing=()
for package in chromium age; do
    command -v "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system_packages: not installing ${missing[*]} (needs root and apt-get); those tests skip" >&2
    exit 0
fi
apt-get update -qq || exit 0
plan=$(apt-get install -s --no-install-recommends "${missing[@]}" 2>/dev/null) || exit 0
if grep -q '^Inst [^ ]* \[' <<<"$plan"; then
    echo "system_packages: installing ${missing[*]} would upgrade installed packages; skipped" >&2
    exit 0
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || true
