/**
 * Replicas and nothing else, for the service benchmark's deactivation latency with many
 * replicas connected: N verifiers in one process, each with its own stream, lease and acks.
 * `/health` answers 200 once every one answers from its copy.
 * Run as its own process: `node --import tsx bench/support/replicas-host.ts PORT URL TOKEN N`.
 */
import { createServer } from 'node:http';
import { createVerifier } from '../../src/integration/verifier/index.js';

const [port, url, token, n] = process.argv.slice(2);
const verifiers = Array.from({ length: Number(n) }, () => createVerifier({ url, token, onStateChange: () => {} }));
createServer((_req, res) => {
  res.statusCode = verifiers.every((v) => v.state === 'replica') ? 200 : 503;
  res.end();
}).listen(Number(port), '127.0.0.1');
process.once('SIGTERM', () => void Promise.all(verifiers.map((v) => v.close())).then(() => process.exit(0)));
