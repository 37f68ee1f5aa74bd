/** A rotation walked to double_check or delete_old through the API, for TUI tests that start there. */
import type { TestDaemon } from '../helpers/daemon.js';

export async function rotationAtDoubleCheck(t: TestDaemon, name: string, watchSeconds?: number) {
  const old = await t.client.createKey(name);
  const started = await t.client.startRotation(old.key.id, { watchSeconds });
  const id = started.rotation.id;
  await t.client.advance(id, { from: 'update_systems' });
  await t.client.verify(started.secret);
  await t.client.advance(id, { from: 'verify_new' });
  await t.client.advance(id, { from: 'deactivate_old' });
  return { old, id, newSecret: started.secret };
}

/** A rotation walked on to delete_old, past the watch window by force. */
export async function rotationAtDeleteOld(t: TestDaemon, name: string) {
  const at = await rotationAtDoubleCheck(t, name);
  const { rotation } = await t.client.advance(at.id, { from: 'double_check', force: true });
  return { ...at, newKeyId: rotation.newKeyId };
}
