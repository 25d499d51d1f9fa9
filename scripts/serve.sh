#!/usr/bin/env bash
# Quick start: install, build, and run the daemon on 127.0.0.1:7070 with working defaults.
# Extra arguments go to `podman-debugd serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/toolbox-image.sh
export PODMAN_DEBUGD_DEFAULT_IMAGE="${PODMAN_DEBUGD_DEFAULT_IMAGE:-localhost/podman-debugd/toolbox:latest}"
cat >&2 <<TXT

podman-debugd: starting. In another terminal, create an API token (printed once):
    node $(pwd)/dist/src/main.js token create --name "\$USER"
and try:  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:7070/v1/containers

TXT
exec node dist/src/main.js serve "$@"
