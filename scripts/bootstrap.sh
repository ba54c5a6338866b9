#!/usr/bin/env bash
# Installs every Debian package vigil needs, when missing. Idempotent; quick when all is there.
#   scripts/bootstrap.sh          build, demo and test dependencies
#   scripts/bootstrap.sh --build  only what building the libraries and the CLI needs
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libsqlite3-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libcpp-httplib-dev zlib1g-dev
  libre2-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev dataset-fashion-mnist
  # The distributed example (vigil-mnist --ddp): c10d's ProcessGroupGloo headers include Gloo's.
  libgloo-dev
  clang-format sqlite3
  # The PostgreSQL backend's tests and benchmarks start a throwaway server
  # (scripts/pg_test_cluster.sh).
  postgresql
  # tests/cli: `vigil validate --format junit` is checked against a JUnit XSD with xmllint.
  libxml2-utils
  # scripts/sanitize.sh: a second compiler with its sanitizer and libFuzzer runtimes, the
  # symbolizer for readable reports, and ccache for the extra builds.
  clang-14 libclang-rt-14-dev llvm-14 ccache
)
if [[ "${1:-}" != "--build" ]]; then
  # Browser end-to-end tests of the dashboard: Debian's Chromium driven by playwright-core.
  packages+=(chromium)
fi
# The dashboard embeds uPlot from the npm registry at build time: npm is a build dependency.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == ii* ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "bootstrap: all packages present"
fi
