#!/usr/bin/env bash
# Installs the Debian 12 packages the build, tests, demo and benchmarks need: with apt-get
# when run as root, otherwise it prints the exact command and fails. clang and its runtime
# libraries build the sanitized unit tests and the libFuzzer targets (make test, make fuzz);
# zlib compresses the gzip bomb the HTTP transport's unit tests serve from a loopback server;
# simdjson is the starlink fast parser (the extension links libsimdjson at run time).
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    postgresql-15 postgresql-server-dev-15 postgresql-15-cron
    libcurl4-openssl-dev nlohmann-json3-dev libsimdjson-dev libgtest-dev
    libipc-run-perl python3 python3-psycopg2 procps
    clang-14 libclang-rt-14-dev zlib1g-dev
)
# A target with needs of its own names them (make test-valgrind: valgrind).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "usage_archive needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
