/** `keyward daemon`: run the daemon in the foreground until SIGINT/SIGTERM; `keyward daemon stop` stops it. */
import { Option, type Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT } from '../home.js';
import { print } from './output.js';

export function daemonCommand(program: Command, home: () => string): void {
  const daemon = program
    .command('daemon')
    .description('run the daemon in the foreground (systemd-friendly)')
    .option('--host <host>', 'address to listen on', DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (env KEYWARD_PORT)', (v) => parsePort(v))
    .option('--allow-remote', 'allow a non-loopback --host')
    .option('--allow-host <name>', 'serve requests whose Host header is NAME too, not only loopback names (repeatable)', collect, [] as string[])
    .option('--database <url>', 'share a PostgreSQL store with other daemons (env KEYWARD_DATABASE_URL; keep the password out of argv)', parseDatabaseUrl)
    // Not for users: lets the usage durability test see flushes without waiting seconds for them.
    .addOption(new Option('--usage-flush-ms <ms>').argParser(parseInterval).hideHelp())
    // Not for users: webhook delivery tests across processes poll and retry MS apart instead of seconds.
    .addOption(new Option('--webhook-retry-ms <ms>').argParser(parseInterval).hideHelp())
    .action(async (opts: { host: string; port?: number; allowRemote?: boolean; allowHost: string[]; database?: string; usageFlushMs?: number; webhookRetryMs?: number }) => {
      process.umask(0o077);
      const { keepNewSpaceSmall } = await import('../daemon/heap.js');
      keepNewSpaceSmall();
      // Loaded here so the other commands start without the daemon's modules.
      const { startDaemon, StartupError } = await import('../daemon/main.js');
      const port = opts.port ?? (process.env.KEYWARD_PORT ? parsePort(process.env.KEYWARD_PORT) : DEFAULT_PORT);
      const database = opts.database ?? (process.env.KEYWARD_DATABASE_URL ? parseDatabaseUrl(process.env.KEYWARD_DATABASE_URL) : undefined);
      try {
        const ms = opts.webhookRetryMs;
        const webhooks = ms ? { pollMs: ms, timeoutMs: 2000, leaseMs: 5000, retry: { baseMs: ms, capMs: 4 * ms, windowMs: 24 * 60 * 60_000 } } : undefined;
        const daemon = await startDaemon({
          home: home(),
          host: opts.host,
          port,
          allowRemote: opts.allowRemote,
          allowHosts: opts.allowHost,
          database,
          usageFlushMs: opts.usageFlushMs,
          webhooks,
        });
        const stop = () => {
          daemon.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      } catch (err) {
        if (err instanceof StartupError || (err instanceof Error && /migrations folder/.test(err.message))) {
          process.stderr.write(`keyward: ${err.message}\n`);
          process.exit(1);
        }
        throw err;
      }
    });
  daemon
    .command('stop')
    .description('stop the daemon that holds the home, as SIGTERM does (usage flushed, store closed), and wait until it has')
    .action(async () => {
      const { stopDaemon } = await import('./daemon-stop.js');
      const dir = home();
      const result = await stopDaemon(dir);
      print(result.stopped ? `stopped the daemon of ${dir} (pid ${result.pid})` : `no daemon is running for ${dir}`);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Only PostgreSQL URLs; the value is never echoed, since it may hold a password. */
function parseDatabaseUrl(value: string): string {
  if (!/^postgres(ql)?:\/\//.test(value)) {
    process.stderr.write('keyward: the database must be a postgres:// or postgresql:// URL\n');
    process.exit(2);
  }
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`keyward: invalid port ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return port;
}

function parseInterval(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 10) {
    process.stderr.write(`keyward: invalid interval ${JSON.stringify(value)} (whole milliseconds, at least 10)\n`);
    process.exit(2);
  }
  return ms;
}
