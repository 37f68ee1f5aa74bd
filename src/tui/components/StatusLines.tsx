/** The toast lines and the footer line at the bottom of every screen. */
import { Box, Text } from 'ink';
import { wrapWords } from '../format.js';
import type { Toast as ToastValue } from '../hooks/useToast.js';

const TOAST_COLOR = { info: 'cyan', success: 'green', error: 'red' } as const;
/** A daemon's error or a notice can outgrow 80 columns; past three lines the rest is cut. */
const TOAST_MAX_LINES = 3;

/**
 * The toast as the lines it takes at `width` (one, blank, when there is none): wrapped rather
 * than cut, since the part of an error past the 80th column is often what to do about it.
 */
export function toastLines(toast: ToastValue | undefined, width: number): string[] {
  if (!toast) return [' '];
  const lines = wrapWords(toast.kind === 'error' ? `✗ ${toast.text}` : toast.text, Math.max(1, width));
  if (lines.length <= TOAST_MAX_LINES) return lines;
  const kept = lines.slice(0, TOAST_MAX_LINES);
  kept[TOAST_MAX_LINES - 1] = `${kept[TOAST_MAX_LINES - 1]!} …`;
  return kept;
}

export function Toast({ toast, lines }: { readonly toast: ToastValue | undefined; readonly lines: readonly string[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end" color={toast ? TOAST_COLOR[toast.kind] : undefined}>
          {line}
        </Text>
      ))}
    </Box>
  );
}

export function Footer({ text }: { readonly text: string }) {
  return (
    <Text wrap="truncate-end" dimColor>
      {text}
    </Text>
  );
}
