#!/usr/bin/env bash
# Installs the built podman-debugd as a systemd service, or removes it. See README "Install and run
# under systemd".
#
#   bash scripts/install.sh [--no-build]           install (as root); builds first unless --no-build
#   bash scripts/install.sh --uninstall [--purge]  remove it; keeps /etc/podman-debugd and the
#                                                  database in /var/lib/podman-debugd unless --purge
#
# DESTDIR=/some/dir installs into a staging root (packaging, tests): nothing outside it is touched,
# and systemd-sysusers, systemd-tmpfiles and systemctl are not run. Without DESTDIR they run only
# when systemd is the running init. NODE=/path/to/node picks the Node.js the service runs (default:
# the node on PATH). An existing /etc/podman-debugd/*.env or policy.yaml is never overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."

LIBDIR=/usr/lib/podman-debugd
BINDIR=/usr/bin
UNITDIR=/usr/lib/systemd/system
SYSUSERSDIR=/usr/lib/sysusers.d
TMPFILESDIR=/usr/lib/tmpfiles.d
CONFDIR=/etc/podman-debugd
STATEDIR=/var/lib/podman-debugd
RUNDIR=/run/podman-debugd
USER_NAME=podman-debugd

mode=install build=yes purge=no
for arg in "$@"; do
  case "$arg" in
    --uninstall) mode=uninstall ;;
    --purge) purge=yes ;;
    --no-build) build=no ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$purge" = yes ] && [ "$mode" != uninstall ]; then
  echo "install: --purge goes with --uninstall" >&2
  exit 2
fi

DESTDIR="${DESTDIR:-}"
DESTDIR="${DESTDIR%/}"
if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install: run this as root (or set DESTDIR to install into a staging directory)" >&2
  exit 1
fi
# systemd-sysusers & co only for a real install on a host that runs systemd.
live=no
if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then live=yes; fi

say() { echo "install: $*"; }

uninstall() {
  if [ "$live" = yes ]; then
    systemctl disable --now podman-debugd.service podman-debugd.socket 2>/dev/null || true
  fi
  rm -rf "$DESTDIR$LIBDIR" "$DESTDIR$LIBDIR.new" "$DESTDIR$LIBDIR.old"
  rm -f "$DESTDIR$BINDIR/podman-debugd" \
    "$DESTDIR$UNITDIR/podman-debugd.service" "$DESTDIR$UNITDIR/podman-debugd.socket" \
    "$DESTDIR$UNITDIR/podman.socket.d/podman-debugd.conf" \
    "$DESTDIR$SYSUSERSDIR/podman-debugd.conf" "$DESTDIR$TMPFILESDIR/podman-debugd.conf"
  rmdir "$DESTDIR$UNITDIR/podman.socket.d" 2>/dev/null || true
  if [ "$purge" = yes ]; then
    rm -rf "$DESTDIR$CONFDIR" "$DESTDIR$STATEDIR" "$DESTDIR$RUNDIR"
    say "removed $CONFDIR and $STATEDIR (the database and its audit trail)"
  else
    say "kept $CONFDIR and $STATEDIR (the database and its audit trail); --purge removes them"
  fi
  if [ "$live" = yes ]; then
    systemctl daemon-reload
    say "podman.socket keeps group access until: systemctl restart podman.socket"
  fi
  say "the user $USER_NAME and the group podman are kept (userdel $USER_NAME; groupdel podman)"
  say "podman-debugd removed"
}

if [ "$mode" = uninstall ]; then
  uninstall
  exit 0
fi

# --- install ---
NODE="${NODE:-$(command -v node || true)}"
if [ -z "$NODE" ] || ! "$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "install: Node.js >= 20 is needed (set NODE=/path/to/node)" >&2
  exit 1
fi
NODE="$(readlink -f "$NODE")"
case "$NODE" in
  /home/* | /root/* | /run/user/*)
    say "warning: $NODE is hidden from the service by ProtectHome=yes; install Node.js system-wide or set NODE" ;;
esac

if [ ! -d node_modules/better-sqlite3 ] || [ ! -d node_modules/unix-dgram ]; then
  echo "install: node_modules is missing or incomplete; run: bash scripts/setup.sh" >&2
  exit 1
fi
if [ "$build" = yes ]; then
  say "building"
  npm run -s build
fi
if [ ! -f dist/src/main.js ]; then
  echo "install: dist/src/main.js is missing; run: npm run build" >&2
  exit 1
fi

# The daemon's tree: built code, production dependencies only (native modules as built here),
# migrations, the OpenAPI document. Staged next to the old tree and swapped in, so a running daemon
# never sees a half-copied one.
stage="$DESTDIR$LIBDIR.new"
rm -rf "$stage"
mkdir -p "$stage/dist" "$stage/node_modules"
cp -R dist/src "$stage/dist/src"
cp -R migrations openapi examples "$stage/"
cp package.json README.md "$stage/"
[ -f package-lock.json ] && cp package-lock.json "$stage/"
# Every installed package the lock file does not mark dev-only (with what is nested in it).
"$NODE" - "$stage/node_modules" <<'JS'
const { cpSync, existsSync, readFileSync } = require('node:fs');
const dest = process.argv[2];
const lockFile = existsSync('node_modules/.package-lock.json') ? 'node_modules/.package-lock.json' : 'package-lock.json';
const { packages } = JSON.parse(readFileSync(lockFile, 'utf8'));
const wanted = Object.entries(packages)
  .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.link)
  .map(([path, p]) => ({ path, optional: Boolean(p.optional || p.devOptional) }))
  .sort((a, b) => a.path.length - b.path.length);
const copied = [];
for (const { path, optional } of wanted) {
  if (copied.some((done) => path.startsWith(`${done}/`))) continue; // came with its parent
  if (!existsSync(path)) {
    if (optional) continue;
    console.error(`install: ${path} is not installed; run: bash scripts/setup.sh`);
    process.exit(1);
  }
  cpSync(path, `${dest}/${path.slice('node_modules/'.length)}`, { recursive: true, verbatimSymlinks: true });
  copied.push(path);
}
console.log(`install: ${copied.length} production packages from ${lockFile}`);
JS
chmod -R u=rwX,go=rX "$stage"
if [ -d "$DESTDIR$LIBDIR" ]; then
  rm -rf "$DESTDIR$LIBDIR.old"
  mv "$DESTDIR$LIBDIR" "$DESTDIR$LIBDIR.old"
fi
mv "$stage" "$DESTDIR$LIBDIR"
rm -rf "$DESTDIR$LIBDIR.old"
say "installed the daemon in $DESTDIR$LIBDIR"

# The command: finds the tree relative to itself, so it also runs from a DESTDIR.
install -d -m 0755 "$DESTDIR$BINDIR"
cat >"$DESTDIR$BINDIR/podman-debugd.tmp" <<SH
#!/bin/sh
# podman-debugd, installed by scripts/install.sh: runs the daemon's tree in ../lib/podman-debugd.
here=\$(dirname "\$(readlink -f "\$0")")
exec $NODE "\$here/../lib/podman-debugd/dist/src/main.js" "\$@"
SH
chmod 0755 "$DESTDIR$BINDIR/podman-debugd.tmp"
mv "$DESTDIR$BINDIR/podman-debugd.tmp" "$DESTDIR$BINDIR/podman-debugd"

install -d -m 0755 "$DESTDIR$UNITDIR" "$DESTDIR$UNITDIR/podman.socket.d" "$DESTDIR$SYSUSERSDIR" "$DESTDIR$TMPFILESDIR"
install -m 0644 systemd/podman-debugd.service systemd/podman-debugd.socket "$DESTDIR$UNITDIR/"
install -m 0644 systemd/podman.socket.d/podman-debugd.conf "$DESTDIR$UNITDIR/podman.socket.d/podman-debugd.conf"
install -m 0644 systemd/podman-debugd.sysusers.conf "$DESTDIR$SYSUSERSDIR/podman-debugd.conf"
install -m 0644 systemd/podman-debugd.tmpfiles.conf "$DESTDIR$TMPFILESDIR/podman-debugd.conf"
say "installed the units, sysusers.d and tmpfiles.d files and the podman.socket drop-in"

if [ "$live" = yes ]; then
  systemd-sysusers "$SYSUSERSDIR/podman-debugd.conf"
  systemd-tmpfiles --create "$TMPFILESDIR/podman-debugd.conf"
fi

# Configuration: root-owned, readable by the daemon's group; an existing file is the admin's.
group=root
if [ -z "$DESTDIR" ] && getent group "$USER_NAME" >/dev/null; then group=$USER_NAME; fi
if [ ! -d "$DESTDIR$CONFDIR" ]; then
  install -d -m 0750 -o root -g "$group" "$DESTDIR$CONFDIR" 2>/dev/null || install -d -m 0750 "$DESTDIR$CONFDIR"
fi
install_config() { # SOURCE NAME
  local target="$DESTDIR$CONFDIR/$2"
  if [ -e "$target" ]; then
    say "kept the existing $CONFDIR/$2 (the new default is in $LIBDIR/$3)"
    return
  fi
  install -m 0640 "$1" "$target"
  chgrp "$group" "$target" 2>/dev/null || true
  say "installed $CONFDIR/$2"
}
install -m 0644 systemd/podman-debugd.env "$DESTDIR$LIBDIR/examples/podman-debugd.env"
install_config systemd/podman-debugd.env podman-debugd.env examples/podman-debugd.env
install_config examples/policy.yaml policy.yaml examples/policy.yaml

if [ "$live" = yes ]; then
  systemctl daemon-reload
  systemctl try-restart podman-debugd.service
  cat <<TXT

podman-debugd is installed. Next:
  systemctl restart podman.socket          # the podman group may now use /run/podman/podman.sock
  systemctl enable --now podman-debugd.socket podman-debugd.service
  runuser -u $USER_NAME -- podman-debugd token create --db $STATEDIR/podman-debugd.db --name "\$USER"
  curl -s --unix-socket $RUNDIR/podman-debugd.sock -H "Authorization: Bearer \$TOKEN" http://localhost/v1/containers
TXT
elif [ -z "$DESTDIR" ]; then
  say "systemd is not running here: systemd-sysusers, systemd-tmpfiles and daemon-reload were skipped"
fi
say "done"
