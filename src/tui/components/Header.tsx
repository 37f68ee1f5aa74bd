/** The two header lines: where and who, then what the table holds and what needs attention. */
import { Box, Text } from 'ink';
import type { Link } from '../feed.js';
import type { AttentionCounts } from '../state/attention.js';

export type HeaderProps = {
  readonly url: string;
  readonly operator: string;
  readonly role: string;
  readonly link: Link;
  readonly problem: string | undefined;
  readonly active: number;
  readonly inactive: number;
  readonly attention: AttentionCounts;
  readonly rotating: number;
  readonly sort: string;
  readonly filter: string;
  readonly shown: number;
};

const LINK_TEXT: Record<Link, string> = { connecting: 'connecting…', live: '● live', reconnecting: '○ reconnecting…' };

export function Header(props: HeaderProps) {
  const { attention } = props;
  const flagged = attention.expired + attention.expiring + attention.unused;
  const total = props.active + props.inactive;
  return (
    <Box flexDirection="column">
      <Box>
        <Text wrap="truncate-end">
          <Text bold>keyward</Text>
          {`  ${props.url} · ${props.operator} (${props.role}) · `}
          <Text color={props.link === 'live' ? 'green' : 'yellow'}>{LINK_TEXT[props.link]}</Text>
          {props.link === 'reconnecting' && props.problem ? <Text dimColor>{` ${props.problem}`}</Text> : null}
        </Text>
      </Box>
      <Box>
        <Text wrap="truncate-end">
          {`${total} ${total === 1 ? 'key' : 'keys'}: ${props.active} active, ${props.inactive} inactive`}
          {flagged > 0 ? (
            <Text color="yellow">{` · ⚠ ${flagged} need attention (${attention.expired} expired, ${attention.expiring} expiring, ${attention.unused} unused)`}</Text>
          ) : null}
          {props.rotating > 0 ? <Text color="cyan">{` · ↻ ${props.rotating} rotating`}</Text> : null}
          <Text dimColor>{` · sort: ${props.sort}`}</Text>
          {props.filter ? <Text color="cyan">{` · filter "${props.filter}": ${props.shown} of ${total}`}</Text> : null}
        </Text>
      </Box>
    </Box>
  );
}
