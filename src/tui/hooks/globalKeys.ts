/**
 * Ctrl-C and Ctrl-L work on every screen. Each screen's key handler (`useBindings`) passes
 * them here rather than a second listener taking every key; the container provides what they
 * do.
 */
import { createContext } from 'react';

export type GlobalKeys = {
  /** Ctrl-C: quit, or ask first when quitting would lose something. */
  readonly interrupt: () => void;
  /** Ctrl-L: repaint the whole terminal. */
  readonly redraw: () => void;
};

export const GlobalKeysContext = createContext<GlobalKeys>({ interrupt: () => {}, redraw: () => {} });
