/**
 * The text field as drawn (src/tui/components/TextField.tsx): cut by terminal columns to the
 * room it has, so wide characters never run over the panel's border, and with the cursor
 * inside a long value the stretch around the cursor shows.
 */
import { render } from 'ink-testing-library';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TextField } from '../../src/tui/components/TextField.js';
import { graphemesOf, widthOf } from '../../src/tui/format.js';

/** 200 CJK characters, each two columns wide, all different. */
const CJK = Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
const LABEL = 'D: ';

function drawn(props: Parameters<typeof TextField>[0]): string {
  const { lastFrame, unmount } = render(<TextField {...props} />);
  const frame = stripVTControlCharacters(lastFrame() ?? '');
  unmount();
  return frame;
}

describe('TextField', () => {
  it('cuts a wide value to its room, by columns, when it is not typed into', () => {
    const frame = drawn({ label: LABEL, value: CJK, focused: false, room: 40 });
    expect(widthOf(frame.slice(LABEL.length))).toBeLessThanOrEqual(40);
    expect(frame).toMatch(/^D: 一丁.*…$/);
  });

  it('keeps the end in view while typing at it', () => {
    const frame = drawn({ label: LABEL, value: CJK, room: 40 });
    expect(widthOf(frame.slice(LABEL.length))).toBeLessThanOrEqual(40);
    expect(frame.endsWith(`${graphemesOf(CJK).at(-1)}█`)).toBe(true);
  });

  it('shows the text on both sides of a cursor inside a long value', () => {
    for (const caret of [45, 60, 120, 199]) {
      const frame = drawn({ label: LABEL, value: CJK, caret, room: 40 });
      const shown = frame.slice(LABEL.length);
      expect(widthOf(shown), `caret ${caret}`).toBeLessThanOrEqual(40);
      const at = graphemesOf(shown).indexOf(graphemesOf(CJK)[caret]!);
      expect(at, `caret ${caret} in view`).toBeGreaterThanOrEqual(0);
      if (caret < 190) expect(graphemesOf(shown).length - at, `text after caret ${caret}`).toBeGreaterThan(5);
    }
  });
});
