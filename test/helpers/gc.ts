/**
 * A full garbage collection, on demand, in a test run without `--expose-gc` (vitest's
 * workers): the flag set now takes effect for contexts created after it, and a fresh context
 * hands out its `gc`. For tests of what must survive a collection, such as a timer that only a
 * weak reference keeps.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
export const collectGarbage = runInNewContext('gc') as () => void;
