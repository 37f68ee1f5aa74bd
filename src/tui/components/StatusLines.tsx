/** The toast line and the footer line at the bottom of every screen. */
import { Text } from 'ink';
import type { Toast as ToastValue } from '../hooks/useToast.js';

const TOAST_COLOR = { info: 'cyan', success: 'green', error: 'red' } as const;

export function Toast({ toast }: { readonly toast: ToastValue | undefined }) {
  return (
    <Text wrap="truncate-end" color={toast ? TOAST_COLOR[toast.kind] : undefined}>
      {toast ? (toast.kind === 'error' ? `✗ ${toast.text}` : toast.text) : ' '}
    </Text>
  );
}

export function Footer({ text }: { readonly text: string }) {
  return (
    <Text wrap="truncate-end" dimColor>
      {text}
    </Text>
  );
}
