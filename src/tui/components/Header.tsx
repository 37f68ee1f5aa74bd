/**
 * The two header lines: where and who (and, while the daemon is away or cannot reach its store,
 * since when the data is stale and why), then what the table holds, the alerts not acknowledged
 * yet, and what needs attention.
 */
import { Box, Text, type TextProps } from 'ink';
import stringWidth from 'string-width';
import type { Link } from '../feed.js';
import { clock } from '../format.js';
import { summaryParts, type SummaryInput, type SummaryPart } from '../state/summary.js';

export type HeaderProps = SummaryInput & {
  readonly url: string;
  readonly operator: string;
  readonly role: string;
  readonly link: Link;
  readonly problem: string | undefined;
  /** When the data shown was last known current, while the daemon is away. */
  readonly staleSince: number | undefined;
  /** `R` can start the daemon again (this TUI started it). */
  readonly canRestart: boolean;
  /** Terminal columns: the second line keeps what matters most when it is too wide (summary.ts). */
  readonly width: number;
};

const LINK_TEXT: Record<Link, string> = { connecting: 'connecting…', live: '● live', degraded: '◐ degraded', reconnecting: '○ reconnecting…', refused: '✕ refused' };
const LINK_COLOR: Record<Link, string> = { connecting: 'yellow', live: 'green', degraded: 'yellow', reconnecting: 'yellow', refused: 'red' };

const PART_STYLE: Record<SummaryPart['kind'], TextProps> = {
  counts: {},
  alerts: { color: 'red', bold: true },
  attention: { color: 'yellow' },
  rotating: { color: 'cyan' },
  sort: { dimColor: true },
  filter: { color: 'cyan' },
};
/** The attention part when a key is leaked or a canary tripped: an alert's red, not a warning's yellow. */
const ALERTED_STYLE: TextProps = { color: 'red' };

export function Header(props: HeaderProps) {
  const alerted = props.attention.leaked + props.attention.tripped > 0;
  const away = props.link === 'reconnecting' || props.link === 'refused';
  // A refused operator's reason and what to do take lines of their own below (App); a restart would not help.
  const reconnecting = props.link === 'reconnecting';
  // The daemon answers, its store does not: why comes before where, as changes fail until it is back.
  const degraded = props.link === 'degraded';
  const where = `${props.url} · ${props.operator} (${props.role})`;
  // Live, the address leads, unless a long operator name would push the state off the line.
  const fits = stringWidth(`keyward  ${where} · ${LINK_TEXT[props.link]}`) <= props.width;
  const first = away || degraded || !fits;
  return (
    <Box flexDirection="column">
      <Box>
        {/* While the daemon is away or degraded, what that means comes first: it must survive a narrow terminal. */}
        <Text wrap="truncate-end">
          <Text bold>keyward</Text>
          {first ? '  ' : `  ${where} · `}
          <Text color={LINK_COLOR[props.link]}>{LINK_TEXT[props.link]}</Text>
          {away && props.staleSince !== undefined ? <Text color="yellow">{` data as of ${clock(props.staleSince)}`}</Text> : null}
          {degraded && props.staleSince !== undefined ? <Text color="yellow">{` since ${clock(props.staleSince)}`}</Text> : null}
          {degraded && props.problem ? <Text color="yellow">{` · ${props.problem}`}</Text> : null}
          {reconnecting && props.canRestart ? <Text bold>{' · R restarts the daemon'}</Text> : null}
          {first ? ` · ${where}` : null}
          {reconnecting && props.problem ? <Text dimColor>{` · ${props.problem}`}</Text> : null}
        </Text>
      </Box>
      <Box>
        <Text wrap="truncate-end">
          {summaryParts(props, props.width).map((part, i) => (
            <Text key={part.kind} {...(part.kind === 'attention' && alerted ? ALERTED_STYLE : PART_STYLE[part.kind])}>
              {i === 0 ? part.text : ` · ${part.text}`}
            </Text>
          ))}
        </Text>
      </Box>
    </Box>
  );
}
