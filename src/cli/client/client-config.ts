import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../usage.js';
import { DEFAULT_DAEMON_URL, type DaemonUrl, parseDaemonUrl } from './daemon-url.js';

export const URL_ENV = 'PODMAN_DEBUGD_URL';
export const TOKEN_ENV = 'PODMAN_DEBUGD_TOKEN';

/** Where the client finds the daemon and its token. */
export interface ClientSettings {
  url: DaemonUrl;
  token: string | undefined;
  /** The config file consulted (it may not exist), for messages. */
  configPath: string;
}

interface FileSettings {
  url?: string;
  token?: string;
}

/** ~/.config/podman-debugd/config, honouring XDG_CONFIG_HOME. */
export function configPath(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || '/nonexistent', '.config');
  return join(base, 'podman-debugd', 'config');
}

/**
 * Flags over PODMAN_DEBUGD_URL / PODMAN_DEBUGD_TOKEN over the config file over the default
 * (http://127.0.0.1:7070, no token). A bad value anywhere is a usage error naming where it was.
 */
export function resolveClientSettings(
  flags: { url?: string | undefined; token?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): ClientSettings {
  const path = configPath(env);
  const file = readConfigFile(path);
  const pick = (key: keyof FileSettings, flag: string | undefined, name: string) => {
    if (flag !== undefined) return { value: flag, origin: `--${key}` };
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, origin: name };
    if (file[key] !== undefined) return { value: file[key], origin: `${key} in ${path}` };
    return undefined;
  };
  const url = pick('url', flags.url, URL_ENV);
  const token = pick('token', flags.token, TOKEN_ENV);
  return {
    url: parseDaemonUrl(url?.value.trim() ?? DEFAULT_DAEMON_URL, url?.origin ?? 'the default URL'),
    token: token?.value.trim() || undefined,
    configPath: path,
  };
}

/**
 * The config file: JSON ({"url": ..., "token": ...}) or key=value lines (`#` comments). Missing is
 * fine. A file holding a token must be private to its owner (like ssh's keys): a token others can
 * read is refused, not used.
 */
export function readConfigFile(path: string): FileSettings {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read the config file ${path}: ${(err as Error).message}`);
  }
  const settings = text.trimStart().startsWith('{') ? parseJson(text, path) : parseKeyValues(text, path);
  if (settings.token !== undefined && (mode & 0o077) !== 0) {
    throw new UsageError(
      `${path} holds a token but other users may access it (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); ` +
        `make it private with: chmod 600 ${path}`,
    );
  }
  return settings;
}

const KEYS = new Set(['url', 'token']);

function parseJson(text: string, path: string): FileSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${path} must hold a JSON object`);
  const settings: FileSettings = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!KEYS.has(key)) throw new UsageError(`${path}: unknown key "${key}" (known: url, token)`);
    if (typeof value !== 'string') throw new UsageError(`${path}: "${key}" must be a string`);
    settings[key as keyof FileSettings] = value;
  }
  return settings;
}

function parseKeyValues(text: string, path: string): FileSettings {
  const settings: FileSettings = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new UsageError(`${path}:${index + 1}: expected key=value, found "${line.slice(0, 40)}"`);
    const key = match[1]!.toLowerCase();
    if (!KEYS.has(key)) throw new UsageError(`${path}:${index + 1}: unknown key "${match[1]}" (known: url, token)`);
    settings[key as keyof FileSettings] = match[2]!.replace(/^(["'])(.*)\1$/, '$2');
  });
  return settings;
}
