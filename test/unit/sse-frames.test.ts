/**
 * sendFrames (src/daemon/events/sse.ts) turns the event loop between the frames of a stream's
 * opening: a replica's snapshot is many frames, and a client that takes each at once made the
 * whole snapshot one task, with nothing else answered meanwhile.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sendFrames } from '../../src/daemon/events/sse.js';
import { EventStream, type Frame } from '../../src/daemon/events/streams.js';

const FRAMES = 60;
const FRAME_MS = 5;

/** Frames that each take `FRAME_MS` of CPU to make, as a snapshot chunk does. */
function* costlyFrames(): Generator<Frame> {
  for (let i = 0; i < FRAMES; i++) {
    const until = performance.now() + FRAME_MS;
    while (performance.now() < until);
    yield { event: 'snapshot', data: JSON.stringify({ chunk: i }) };
  }
}

describe('sendFrames', () => {
  it('lets timers run between the frames of the opening, however fast the client reads', async () => {
    const subscription = new EventStream({ id: 'op_test', name: 'test', role: 'service' }, 1024 * 1024);
    const app = new Hono().get('/stream', (c) => sendFrames(c, subscription, costlyFrames));
    let last = performance.now();
    let longest = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    // Through a socket, as a replica connects: an in-process request paces the writes itself.
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((listening) => server.once('listening', listening));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (text.split('event: snapshot').length - 1 < FRAMES) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      await reader.cancel();
      expect(text.split('event: snapshot').length - 1).toBe(FRAMES);
    } finally {
      clearInterval(ticker);
      subscription.close();
      server.close();
    }
    // One frame's work between two ticks, not the whole opening (FRAMES × FRAME_MS = 300 ms).
    expect(longest).toBeLessThan((FRAMES * FRAME_MS) / 2);
  });
});
