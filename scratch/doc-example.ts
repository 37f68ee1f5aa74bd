import { createServer } from 'node:http';
import { createVerifier, bearerKey, rejectionAnswer, unavailableAnswer } from '../src/integration/verifier/index.js';

const verifier = createVerifier({ url: 'http://127.0.0.1:7420', token: process.env.KEYWARD_SERVICE_TOKEN! });

createServer(async (req, res) => {
  const key = bearerKey(req.headers.authorization);
  let answer;
  try {
    const result = key ? await verifier.verify(key, { caller: req.socket.remoteAddress, ip: req.socket.remoteAddress }) : { valid: false, code: 'missing' } as const;
    if (result.valid) return void res.end(`hello ${result.name}`);
    answer = rejectionAnswer(result);
  } catch {
    answer = unavailableAnswer(); // neither the copy nor the daemon could answer
  }
  res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(answer.body));
}).listen(3000);
