#!/usr/bin/env bash
# The one test command (README, CI): installs what the tests need on a bare machine, then runs
# the whole suite headless. Extra arguments go to pytest (e.g. `bash scripts/test.sh -k config`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "== installing Debian's chromium and chromium-driver for the browser tests"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "== installing Debian's redis-server for the Celery background-worker test"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
fi

echo "== installing latent-dash with its test and dev extras"
python3 -m pip install --quiet --disable-pip-version-check -e ".[test,dev]"

echo "== ruff"
python3 -m ruff check latent_dash tests benchmarks scripts app.py

echo "== pytest"
python3 -m pytest -p no:cacheprovider "$@"
