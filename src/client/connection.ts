/**
 * Where the daemon is and which token to present. The URL comes from `--url`, `KEYWARD_URL`
 * (trusted as given), else `daemon.json`, whose daemon must then prove its `instance` before
 * any token goes out (see identity.ts). There is no default address: after a stop, before the
 * first start or during a restart, whatever listens on the usual port may be anyone's. The
 * token comes from `--token`, `KEYWARD_TOKEN`, else `admin.token` in the home.
 */
import { checkHomeToRead, homeHolder, homeHolderMessage, readAdminToken, readDaemonInfo, type HomeHolder } from '../home.js';
import { redactSecrets } from '../secret-text.js';
import { KeywardClient } from './client.js';

export type ConnectionFlags = { home: string; url?: string; token?: string };

type Common = { home: string; token: string | undefined };

/** A daemon to talk to: its URL, where that came from, and for daemon.json the identity to prove. */
export type Located = Common & {
  url: string;
  urlSource: 'flag' | 'env' | 'daemon.json';
  /** The instance the daemon at `url` must prove; undefined for a URL the user gave. */
  identity: (() => string | undefined) | undefined;
};

/**
 * No URL was given and no daemon this build can talk to runs for the home; `holder` when one
 * holds the home all the same (an older keyward's, or one not listening yet: `homeHolder`).
 */
export type NotLocated = Common & { url: undefined; urlSource: 'none'; holder: HomeHolder | undefined };

export type Connection = Located | NotLocated;

/** Throws `UnsafePath` for a home another user could have prepared, when anything is read from it. */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const given = flags.token ?? (env.KEYWARD_TOKEN || undefined);
  const url = flags.url || env.KEYWARD_URL;
  if (given === undefined || !url) checkHomeToRead(flags.home);
  const common = { home: flags.home, token: given ?? readAdminToken(flags.home) };
  if (flags.url) return { ...common, url: flags.url, urlSource: 'flag', identity: undefined };
  if (env.KEYWARD_URL) return { ...common, url: env.KEYWARD_URL, urlSource: 'env', identity: undefined };
  const info = readDaemonInfo(flags.home);
  if (!info) return { ...common, url: undefined, urlSource: 'none', holder: homeHolder(flags.home) };
  // daemon.json is read again at each proof: a daemon started again has a new instance.
  const identity = () => {
    const now = readDaemonInfo(flags.home);
    return now?.url === info.url ? now.instance : undefined;
  };
  return { ...common, url: info.url, urlSource: 'daemon.json', identity };
}

export function clientOf(connection: Located): KeywardClient {
  return new KeywardClient({ url: connection.url, token: connection.token, identity: connection.identity });
}

/** The one line for a home without a daemon this build can talk to (and no URL given). */
export function noDaemonMessage({ home, holder }: NotLocated): string {
  if (holder) return homeHolderMessage(home, holder);
  return `no daemon is running for ${home}; start one with "keyward daemon" (or pass --url)`;
}

/**
 * Why `text` cannot be a daemon's address, or undefined when it can: an http(s) origin and
 * nothing more (the clients add the paths; a path given would be joined in front of theirs,
 * credentials would ride along in every request). The CLI and the verifier both ask it.
 * `shown` is the text without user and password or anything shaped like a secret, which an
 * error may carry into a log.
 */
export function daemonUrlProblem(text: string): { shown: string } | undefined {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const origin = url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
  if (origin) return undefined;
  // A token pasted where the URL goes is redacted too: a service logs the error it throws.
  return { shown: redactSecrets(url ? `${url.protocol}//${url.host}${url.pathname}` : text.replace(/\/\/[^/@]*@/, '//')) };
}

/** What the address must be, for the messages of both. */
export const DAEMON_URL_EXAMPLE = 'an http(s) origin such as http://127.0.0.1:7420 (no path, query or credentials)';
