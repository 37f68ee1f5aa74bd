/**
 * A "daemon" that answers whatever a test says, reached with `--url` and `--token` as a user
 * might point keyward at a server that is not a keyward daemon: for the CLI's defences against
 * what such a server sends back.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keyward, type CliRun, type RunOptions } from './harness.js';

/** An answer that is none: the connection is closed mid-request, as by a daemon that dies. */
export const HANG_UP = Symbol('hang up');

/** The JSON body for a request, by method and path (with its query), or `HANG_UP`. */
export type Answer = (method: string, path: string) => unknown;

export type FakeDaemon = {
  /** `keyward ARGS --url … --token …` against this server. */
  run(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  close(): Promise<void>;
};

export async function fakeDaemon(answer: Answer): Promise<FakeDaemon> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = answer(req.method ?? 'GET', req.url ?? '/');
      if (body === HANG_UP) return void req.socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    run: (args, options) => keyward([...args, '--url', url, '--token', 'kwo_not-a-real-token'], options),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
