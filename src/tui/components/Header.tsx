/**
 * The two header lines: where and who (and, while the daemon is away, since when the data is
 * stale), then what the table holds, the alerts not acknowledged yet, and what needs attention.
 */
import { Box, Text } from 'ink';
import { withThousands } from '../../thousands.js';
import type { Link } from '../feed.js';
import { clock } from '../format.js';
import type { AttentionCounts } from '../state/attention.js';

export type HeaderProps = {
  readonly url: string;
  readonly operator: string;
  readonly role: string;
  readonly link: Link;
  readonly problem: string | undefined;
  /** When the data shown was last known current, while the daemon is away. */
  readonly staleSince: number | undefined;
  /** `R` can start the daemon again (this TUI started it). */
  readonly canRestart: boolean;
  readonly active: number;
  readonly inactive: number;
  readonly attention: AttentionCounts;
  readonly rotating: number;
  /** Alerts not acknowledged yet; shown (red) only when there are some. */
  readonly alerts: number;
  /** The sort as drawn, `name ▲`. */
  readonly sort: string;
  readonly filter: string;
  readonly shown: number;
};

const LINK_TEXT: Record<Link, string> = { connecting: 'connecting…', live: '● live', reconnecting: '○ reconnecting…', refused: '✕ refused' };
const LINK_COLOR: Record<Link, string> = { connecting: 'yellow', live: 'green', reconnecting: 'yellow', refused: 'red' };

export function Header(props: HeaderProps) {
  const { attention } = props;
  const flagged = attention.leaked + attention.tripped + attention.expired + attention.expiring + attention.unused;
  // Alerts come first: a key someone else holds, or bait taken. Only the reasons some key has:
  // a row of zeros would push the sort and the filter off a narrow terminal.
  const alerted = attention.leaked + attention.tripped > 0;
  const reasons = (['leaked', 'tripped', 'expired', 'expiring', 'unused'] as const)
    .filter((reason) => attention[reason] > 0)
    .map((reason) => `${withThousands(attention[reason])} ${reason}`)
    .join(', ');
  const total = props.active + props.inactive;
  const away = props.link === 'reconnecting' || props.link === 'refused';
  // A refused operator's reason and what to do take lines of their own below (App); a restart would not help.
  const reconnecting = props.link === 'reconnecting';
  const where = `${props.url} · ${props.operator} (${props.role})`;
  return (
    <Box flexDirection="column">
      <Box>
        {/* While the daemon is away, what that means comes first: it must survive a narrow terminal. */}
        <Text wrap="truncate-end">
          <Text bold>keyward</Text>
          {away ? null : `  ${where} · `}
          {away ? '  ' : null}
          <Text color={LINK_COLOR[props.link]}>{LINK_TEXT[props.link]}</Text>
          {away && props.staleSince !== undefined ? <Text color="yellow">{` data as of ${clock(props.staleSince)}`}</Text> : null}
          {reconnecting && props.canRestart ? <Text bold>{' · R restarts the daemon'}</Text> : null}
          {away ? ` · ${where}` : null}
          {reconnecting && props.problem ? <Text dimColor>{` · ${props.problem}`}</Text> : null}
        </Text>
      </Box>
      <Box>
        <Text wrap="truncate-end">
          {`${withThousands(total)} ${total === 1 ? 'key' : 'keys'}: ${withThousands(props.active)} active, ${withThousands(props.inactive)} inactive`}
          {/* Before the other counts, so a narrow terminal still shows it. */}
          {props.alerts > 0 ? <Text color="red" bold>{` · ! ${props.alerts} open ${props.alerts === 1 ? 'alert' : 'alerts'}`}</Text> : null}
          {flagged > 0 ? (
            <Text color={alerted ? 'red' : 'yellow'}>
              {` · ⚠ ${withThousands(flagged)} need attention (${reasons})`}
            </Text>
          ) : null}
          {props.rotating > 0 ? <Text color="cyan">{` · ↻ ${props.rotating} rotating`}</Text> : null}
          <Text dimColor>{` · sort: ${props.sort}`}</Text>
          {props.filter ? <Text color="cyan">{` · filter "${props.filter}": ${withThousands(props.shown)} of ${withThousands(total)}`}</Text> : null}
        </Text>
      </Box>
    </Box>
  );
}
