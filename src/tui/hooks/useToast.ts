/** The toast: the latest message, cleared after a while or by the next answer. */
import { useCallback, useEffect, useRef, useState } from 'react';

export type ToastKind = 'info' | 'success' | 'error';
export type Toast = { readonly text: string; readonly kind: ToastKind };

const SHOW_MS: Record<ToastKind, number> = { info: 6000, success: 5000, error: 10_000 };

export function useToast(initial?: Toast): { toast: Toast | undefined; show(text: string, kind?: ToastKind): void; clear(): void } {
  const [toast, setToast] = useState<Toast | undefined>(initial);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  const show = useCallback((text: string, kind: ToastKind = 'info') => {
    clearTimeout(timer.current);
    setToast({ text, kind });
    timer.current = setTimeout(() => setToast(undefined), SHOW_MS[kind]);
  }, []);
  const clear = useCallback(() => {
    clearTimeout(timer.current);
    setToast(undefined);
  }, []);
  useEffect(() => {
    if (initial) timer.current = setTimeout(() => setToast(undefined), SHOW_MS[initial.kind] * 2);
    return () => clearTimeout(timer.current);
    // Only the first toast is given as a prop; later ones come from show().
  }, []);
  return { toast, show, clear };
}
