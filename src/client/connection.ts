/**
 * Where the daemon is and which token to present (DESIGN.md §3): the URL from `--url`,
 * `KEYWARD_URL`, `daemon.json`, else the default address; the token from `--token`,
 * `KEYWARD_TOKEN`, else `admin.token` in the home.
 */
import { DEFAULT_HOST, DEFAULT_PORT, readAdminToken, readDaemonInfo } from '../home.js';

export type ConnectionFlags = { home: string; url?: string; token?: string };
export type Connection = { home: string; url: string; token: string | undefined; urlSource: 'flag' | 'env' | 'daemon.json' | 'default' };

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const token = flags.token ?? (env.KEYWARD_TOKEN || undefined) ?? readAdminToken(flags.home);
  if (flags.url) return { home: flags.home, url: flags.url, token, urlSource: 'flag' };
  if (env.KEYWARD_URL) return { home: flags.home, url: env.KEYWARD_URL, token, urlSource: 'env' };
  const info = readDaemonInfo(flags.home);
  if (info) return { home: flags.home, url: info.url, token, urlSource: 'daemon.json' };
  return { home: flags.home, url: `http://${DEFAULT_HOST}:${DEFAULT_PORT}`, token, urlSource: 'default' };
}
