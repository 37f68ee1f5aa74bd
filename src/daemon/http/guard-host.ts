/** The Host check (`checkHost`), and that the request target is a path, as the app's first middleware. */
import type { HttpBindings } from '@hono/node-server';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env.js';
import { checkHost, type HostPolicy } from './host.js';
import { KeywardError } from '../errors.js';

const SLASH = 0x2f;

export function guardHost(policy: HostPolicy) {
  // Every request of a client carries the same Host; remembering the last one allowed keeps the
  // check off the verify hot path's profile. Refused values are never remembered.
  let lastAllowed: string | undefined;
  return createMiddleware<AppEnv>(async function guardHost(c, next) {
    // A request from a socket has only its header to go by; one made in-process
    // (`app.request(url)`) has no socket and is addressed by its URL.
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    const onSocket = incoming !== undefined;
    // `GET http://other.example/v1/me`: a request line naming another authority than its Host
    // (absolute-form), which only a proxy is sent. The path is all a client of the daemon sends.
    if (incoming && incoming.url?.charCodeAt(0) !== SLASH) throw new KeywardError('invalid_request', 'The request target must be a path ("/v1/…"), not a URL, an authority or *');
    const host = c.req.header('host') ?? (onSocket ? undefined : new URL(c.req.url).host);
    if (host !== lastAllowed || host === undefined) {
      const refusal = checkHost(host, policy);
      if (refusal) throw refusal;
      lastAllowed = host;
    }
    await next();
  });
}
