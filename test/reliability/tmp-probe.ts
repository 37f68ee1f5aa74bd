import { startTestDaemon } from '../helpers/daemon.js';
const t = await startTestDaemon();
for (const name of ['\\ud800', 'a\\udfffb', '\\ud83d\\ude00', 'x\\u0000', '\\u202eevil']) {
  const r = await t.api('POST', '/v1/keys', `{"name":"${name}"}`);
  console.log(name, r.status, JSON.stringify(r.body).slice(0, 200));
}
console.log(JSON.stringify((await t.client.listKeys()).keys.map((k) => k.name)));
const r = await t.api('POST', '/v1/verify', `{"key":"kw_x","caller":"\\ud800"}`);
console.log(r.status, JSON.stringify(r.body));
await t.stop();
