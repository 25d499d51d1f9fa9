#!/usr/bin/env bash
# Runs the whole test suite (unit, HTTP and integration tests against a private Podman the tests
# start themselves). Installs what it needs first. Safe to repeat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
npm test
