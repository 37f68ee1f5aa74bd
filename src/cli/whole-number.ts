/** A flag's whole-number value, for commander's `argParser`: a usage error (exit 2) naming the flag otherwise. */
import { usageError } from './exit.js';
import { withThousands } from '../thousands.js';

export function wholeNumber(flag: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? 'from 1 up' : `from 1 to ${withThousands(max)}`;
      throw usageError(`${flag} ${JSON.stringify(value)} must be a whole number ${range}`);
    }
    return n;
  };
}
