/**
 * Bytes on a TCP connection, below any HTTP client: for requests no client library would send
 * (no Host, bad header syntax, a body that never comes) and for watching when the server
 * answers or closes the connection.
 */
import { connect, type Socket } from 'node:net';

export type Connection = {
  socket: Socket;
  /** Everything the server has sent so far. */
  received(): string;
  /** Resolves once the server has closed the connection (or it broke). */
  closed: Promise<void>;
  /** Resolves once `received()` contains `text`. */
  receivedText(text: string): Promise<void>;
};

/** Opens a connection to the host and port of `baseUrl` and writes `bytes`, if any. */
export async function openConnection(baseUrl: string, bytes?: string | Buffer): Promise<Connection> {
  const url = new URL(baseUrl);
  const socket = connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('latin1');
    for (const w of waiters.filter((w) => data.includes(w.text))) w.resolve();
  });
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    // A reset is a close too; the test looks at what arrived before it.
    socket.on('error', () => undefined);
  });
  if (bytes !== undefined) socket.write(bytes);
  return {
    socket,
    received: () => data,
    closed,
    receivedText: (text) => (data.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve }))),
  };
}

/** An HTTP/1.1 request head, `Host` first unless it is null. */
export function requestHead(method: string, path: string, headers: Record<string, string> = {}, host: string | null = '127.0.0.1'): string {
  const lines = [`${method} ${path} HTTP/1.1`, ...(host === null ? [] : [`Host: ${host}`]), ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return lines.join('\r\n') + '\r\n\r\n';
}

/** The status and JSON body of the first response in `raw`. */
export function parseResponse(raw: string): { status: number; headers: Record<string, string>; body: unknown } {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const length = Number(headers['content-length'] ?? 0);
  const text = Buffer.from(raw.slice(end + 4), 'latin1').subarray(0, length || undefined).toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the test says what it expected
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body };
}
