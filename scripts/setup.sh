#!/usr/bin/env bash
# Installs what `campaign` needs from Debian's packages (SQLite, libphonenumber and ICU headers, and the
# PostgreSQL server that scripts/test-postgres.sh starts for the tests), then builds. Safe to run again:
# apt-get skips what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libsqlite3-dev libphonenumber-dev libicu-dev postgresql)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
swift build
