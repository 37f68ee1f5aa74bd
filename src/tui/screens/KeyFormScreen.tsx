/**
 * The add and edit forms of a key (`a`, `e`): one line per field, the daemon's objections in
 * red under the field they are about, and what the focused field takes below. The add form
 * shows the name alone until tab opens the rest, so adding a key stays `a`, a name, ⏎. When
 * the objections would not fit wrapped, each takes one line, cut.
 */
import { Box, Text } from 'ink';
import { Panel, PANEL_ROWS } from '../components/Panel.js';
import { Prose } from '../components/Prose.js';
import { wrapWords } from '../format.js';
import { TextField } from '../components/TextField.js';
import { useBindings } from '../hooks/useBindings.js';
import { fitObjections, FORM_FIELDS, shownFields, type KeyForm } from '../state/key-form.js';
import type { Binding, FormCommand } from '../state/keymap.js';

export type KeyFormScreenProps = {
  readonly title: string;
  readonly form: KeyForm;
  readonly bindings: readonly Binding<FormCommand>[];
  /** Said below a collapsed form, where the focused field's help goes once it is open. */
  readonly note: string;
  /** Said while the request is on its way. */
  readonly busyText: string;
  /** Columns inside the panel. */
  readonly width: number;
  /** Rows for the panel, border included. */
  readonly height: number;
  readonly active: boolean;
  readonly onCommand: (command: FormCommand) => void;
  /** A key typed into the focused field (see `edit`). */
  readonly onEdit: (name: string, input: string) => void;
};

/** The `›` of the focused field. */
const MARK = 2;
/** The longest label with its colon (`Allowed IPs:`), labels aligned on the colon. */
const LABEL = 12;
/** Objections start under the values. */
const INDENT = MARK + LABEL + 1;
/** The panel's border and title, and the blank line above the help. */
const CHROME_ROWS = PANEL_ROWS + 1;

function Objection({ text, width, compact }: { readonly text: string; readonly width: number; readonly compact: boolean }) {
  return compact ? (
    <Text color="red" wrap="truncate-end">
      {`✗ ${text}`}
    </Text>
  ) : (
    <Prose color="red" width={width} text={`✗ ${text}`} />
  );
}

export function KeyFormScreen({ title, form, bindings, note, busyText, width, height, active, onCommand, onEdit }: KeyFormScreenProps) {
  useBindings(bindings, onCommand, active, onEdit);
  const focused = FORM_FIELDS.find((f) => f.id === form.focus)!;
  const fields = shownFields(form);
  const help = form.busy ? busyText : form.expanded ? focused.help : note;
  const room = height - CHROME_ROWS - fields.length - (form.expanded ? 0 : 1) - wrapWords(help, width).length;
  const issues = fitObjections([...fields.map((f) => form.issues[f.id] ?? []), form.issues.form ?? []], room, (text) =>
    wrapWords(`✗ ${text}`, width - INDENT).length,
  );
  const general = issues.lists.at(-1)!;
  return (
    <Panel title={title}>
      {fields.map((field, i) => {
        const on = field.id === form.focus;
        return (
          <Box key={field.id} flexDirection="column">
            <Box>
              <Text color="cyan" bold>
                {on ? '› ' : '  '}
              </Text>
              <TextField
                label={`${`${field.label}:`.padStart(LABEL)} `}
                value={form.texts[field.id]}
                placeholder={field.placeholder}
                focused={on}
                caret={on ? form.caret : undefined}
                room={width - INDENT}
                labelColor={on ? 'cyan' : undefined}
              />
            </Box>
            {issues.lists[i]!.map((issue) => (
              <Box key={issue} marginLeft={INDENT}>
                <Objection text={issue} width={width - INDENT} compact={issues.compact} />
              </Box>
            ))}
          </Box>
        );
      })}
      {form.expanded ? null : (
        <Text dimColor wrap="truncate-end">
          {' '.repeat(INDENT)}tab: expiry, description, owner, scopes, IPs, rate limit, quota
        </Text>
      )}
      {general.map((issue) => (
        <Objection key={issue} text={issue} width={width} compact={issues.compact} />
      ))}
      <Box marginTop={1}>
        <Prose dim width={width} text={help} />
      </Box>
    </Panel>
  );
}
