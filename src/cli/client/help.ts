const connection = `Connection (every client command):
  --url URL      the daemon: http://HOST:PORT, https://HOST[:PORT] or unix:/path/to/socket
                 (PODMAN_DEBUGD_URL; "url" in the config file; default http://127.0.0.1:7070)
  --token TOKEN  a bearer token (PODMAN_DEBUGD_TOKEN; "token" in the config file). A flag is
                 visible to other users in ps: prefer the environment or the config file
  --json         print the daemon's JSON instead of text for people
  -h, --help     show this help

Config file: $XDG_CONFIG_HOME/podman-debugd/config (default ~/.config/podman-debugd/config),
key=value lines (url=..., token=...) or a JSON object {"url": ..., "token": ...}. A file that
holds a token must be readable by its owner only (chmod 600), or it is refused.`;

export const debugHelp = `Usage: podman-debugd debug TARGET [--image REF] [--ttl 15m] [--max-lifetime 1h]
                           [--profile P] [--reason TEXT] [connection options]

Starts a debug session: a toolbox sidecar in TARGET's PID and network namespaces.

Options:
  --image REF          the toolbox image (default: the daemon's)
  --ttl DURATION       the lease, e.g. 90s, 15m, 2h (default: the daemon's, 15m)
  --max-lifetime D     how far the lease may be extended (default: the lease)
  --profile P          restricted | baseline | general (default) | netadmin | sysadmin
  --reason TEXT        why (recorded in the audit trail; the policy may require it)

${connection}
`;

export const lsHelp = `Usage: podman-debugd ls [--all] [--target NAME] [connection options]

Lists your active debug sessions, newest first (everyone's with an admin token).

Options:
  -a, --all        ended and failed sessions too
  --target NAME    only sessions of this target (a name or an id)

${connection}
`;

export const execHelp = `Usage: podman-debugd exec SESSION [--timeout 30s] [connection options] -- COMMAND [ARG...]

Runs COMMAND in the session's sidecar (argv, no shell), prints its stdout and stderr and exits
with its exit code; 124 if it ran past --timeout (it is killed; what it printed is shown), 125 if
podman-debugd could not run it (the daemon is unreachable or refused). SESSION is the ID from ls
(a unique prefix of at least 4 characters) or the sidecar's name.

Options:
  --timeout DURATION   kill the command after this long (default 30s, at most 5m)

${connection}
`;

export const endHelp = `Usage: podman-debugd end SESSION [connection options]

Ends the session and removes its sidecar (ending an ended session changes nothing). SESSION is the
ID from ls (a unique prefix of at least 4 characters) or the sidecar's name.

${connection}
`;

export const containersHelp = `Usage: podman-debugd containers [connection options]

Lists the containers on the daemon's host one could debug, with their active sessions.

${connection}
`;
