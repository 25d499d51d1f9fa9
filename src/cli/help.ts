import { envNames } from '../config/config.js';

export const mainHelp = `podman-debugd - debug sidecars for shell-less Podman containers

Usage: podman-debugd <command> [options]

Commands on this host (they open the database):
  serve              run the HTTP API daemon
  migrate            create or upgrade the database schema
  token create       create an API token (printed once)
  token list         list API tokens
  token revoke NAME  revoke an API token
  audit verify       check the audit trail's hash chain
  policy check FILE  validate a policy file and summarise its rules

Client commands (they call a running daemon: --url/PODMAN_DEBUGD_URL, --token/PODMAN_DEBUGD_TOKEN
or ~/.config/podman-debugd/config; --json for scripts):
  debug TARGET       start a debug session on a container
  ls                 list your sessions (--all: ended ones too)
  exec SESSION -- COMMAND [ARG...]
                     run a command in a session; exits with its exit code
  end SESSION        end a session and remove its sidecar
  containers         list the containers one could debug

Run 'podman-debugd <command> --help' for a command's options.
Exit codes: 0 success, 1 failure, 2 usage or configuration error; exec exits with the command's
code, 124 if it timed out, 125 if podman-debugd could not run it.
`;

export const serveHelp = `Usage: podman-debugd serve [options]

Runs the HTTP API. Every option can also be set by the environment variable shown.

Options:
  --listen HOST:PORT | unix:PATH   where to listen (${envNames.listen}; default 127.0.0.1:7070)
  --podman-socket PATH             Podman's API socket (${envNames.podmanSocket}; default: as Podman's
                                   remote client finds it: CONTAINER_HOST, /run/podman/podman.sock for
                                   root, $XDG_RUNTIME_DIR/podman/podman.sock otherwise)
  --db PATH                        SQLite database (${envNames.db}; default ./var/podman-debugd.db,
                                   or $STATE_DIRECTORY/podman-debugd.db under systemd)
  --default-image REF              toolbox image for sessions that name none
                                   (${envNames.defaultImage}; default docker.io/library/busybox:latest)
  --policy PATH                    who may debug what: a YAML or JSON policy file, re-read on SIGHUP
                                   (${envNames.policyFile}; default: the built-in policy, see README)
  -h, --help                       show this help

Slack and Mattermost slash commands are set up by a chatops file named in ${envNames.chatopsFile}
(README "Chatops"); it is read and checked at start.

If no Podman socket answers and podman is installed, serve starts 'podman system service' on a
socket in its state directory and stops it on exit (${envNames.startPodman}=never turns this off).

Under systemd (README "Install and run under systemd"): sockets passed by socket activation
(LISTEN_FDS) are served instead of --listen, and readiness, watchdog pings and shutdown are
reported to NOTIFY_SOCKET (Type=notify, WatchdogSec=). Logs are JSON lines unless stdout is a terminal.
`;

export const migrateHelp = `Usage: podman-debugd migrate [--db PATH]

Applies pending database migrations and prints the schema version.
`;

export const tokenHelp = `Usage:
  podman-debugd token create --name NAME [--scope S]... [--expires 30d] [--db PATH]
                                     print a new token once (only its SHA-256 is kept). Scopes:
                                     sessions:read sessions:write exec audit:read metrics:read
                                     admin (repeat --scope or separate with commas); default:
                                     sessions:read sessions:write exec audit:read (for Prometheus:
                                     --scope metrics:read)
  podman-debugd token list [--db PATH]                 list tokens (never the tokens themselves)
  podman-debugd token revoke NAME [--db PATH]          revoke a token; it stops working at once
`;

export const policyHelp = `Usage:
  podman-debugd policy check FILE [--default-image REF]
      validate a policy file (YAML or JSON) as 'serve --policy FILE' would: exit 0 and summarise
      its rules, or exit 1 listing every problem. The file's "default" image means --default-image
      (or ${envNames.defaultImage}).
`;

export const auditHelp = `Usage:
  podman-debugd audit verify [--db PATH]   walk the audit hash chain; exit 0 with the count verified,
                                           or exit 1 naming the first bad seq
`;
