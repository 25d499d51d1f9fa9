#!/usr/bin/env bash
# Installs what podman-debugd needs on Debian/Ubuntu (as root) and builds it. Safe to repeat.
# Usage: bash scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(podman runc busybox-static iptables catatonit sqlite3)
# npm ci builds unix-dgram (sd_notify) with node-gyp.
packages+=(python3 make g++)
# --test: also what only the test suite needs (a local registry for the image-pull tests).
if [ "${1:-}" = "--test" ]; then packages+=(docker-registry); fi
# --test: systemd-analyze, systemd-socket-activate and systemd-notify for the systemd tests.
if [ "${1:-}" = "--test" ]; then packages+=(systemd); fi
# --test: headless Chromium for test/e2e/docs-ui.test.ts (the /docs page).
if [ "${1:-}" = "--test" ]; then packages+=(chromium); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}; run this as root or install them first" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node -e 'const [major] = process.versions.node.split(".").map(Number); if (major < 20) { console.error("setup: Node.js >= 20 is required, found " + process.version); process.exit(1); }'

# npm ci only when the installed tree does not match the lock file.
if ! cmp -s package-lock.json node_modules/.package-lock.json.src 2>/dev/null; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.package-lock.json.src
fi
echo "setup: building"
npm run -s build
