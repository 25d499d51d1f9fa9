#!/usr/bin/env bash
# Imports a small offline toolbox image (busybox-static with all its applets) into the host's
# Podman as localhost/podman-debugd/toolbox:latest, so sessions work without a registry.
# Then checks that this host's Podman can run a container at all, and fixes the one problem
# seen on sandboxed hosts: default rlimits above the hard limit. Safe to repeat.
set -euo pipefail
image="${1:-localhost/podman-debugd/toolbox:latest}"

if ! podman image exists "$image"; then
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\n' > "$rootfs/etc/group"
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - "$image" >/dev/null
  echo "toolbox: imported $image"
fi

if ! out="$(podman run --rm --network none "$image" true 2>&1)"; then
  if grep -q "error setting rlimit" <<<"$out"; then
    conf=/etc/containers/containers.conf.d/90-podman-debugd-rlimits.conf
    echo "toolbox: this host's hard rlimits are below Podman's defaults; writing $conf" >&2
    mkdir -p "$(dirname "$conf")"
    printf '# Written by podman-debugd scripts/toolbox-image.sh: containers could not start with\n# Podman'"'"'s default rlimits on this host ("error setting rlimit").\n[containers]\ndefault_ulimits = ["nofile=4096:4096","nproc=4096:4096"]\n' > "$conf"
    podman run --rm --network none "$image" true
  else
    echo "toolbox: podman cannot run containers on this host:" >&2
    echo "$out" >&2
    exit 1
  fi
fi
