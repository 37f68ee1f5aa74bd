/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must
 * be a `# HELP`, a `# TYPE` or a sample of the family the last `# TYPE` declared, with valid
 * names, quoted and escaped label values, and a float value; series may not repeat; a
 * histogram's buckets must rise with `le`, end at `+Inf`, and agree with its `_count`. Throws
 * with the line number on the first violation.
 */
export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Family = { name: string; help: string; type: string; samples: Sample[] };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a float: ${text}`);
  return Number(text);
}

/** `{a="x",b="y\"z"}` from position 0 of `text`; returns the labels and the rest of the line. */
function parseLabels(text: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  while (text[i] !== '}') {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (!LABEL.test(name) || name in labels) throw new Error(`bad or repeated label name ${JSON.stringify(name)}`);
    if (text[eq + 1] !== '"') throw new Error(`label ${name} is not quoted`);
    let value = '';
    let j = eq + 2;
    for (; text[j] !== '"'; j++) {
      if (j >= text.length) throw new Error(`label ${name} is not closed`);
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${next} in label ${name}`);
      } else value += text[j];
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`expected , or } after label ${name}`);
  }
  return { labels, rest: text.slice(i + 1) };
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${s.name} without le`);
      entry.buckets.push([parseValue(le), s.value]);
    } else if (s.name.endsWith('_count')) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    const last = buckets[buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]![0] > buckets[i - 1]![0]) || buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${family.name}${key}: buckets not rising`);
    }
    if (count !== last[1]) throw new Error(`${family.name}${key}: _count ${count} differs from the +Inf bucket ${last[1]}`);
  }
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | undefined;
  let help: { name: string; text: string } | undefined;
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  text.slice(0, -1).split('\n').forEach((line, n) => {
    try {
      if (line === '') return;
      if (line.startsWith('# HELP ')) {
        const [, name = '', doc = ''] = /^# HELP (\S+) (.*)$/.exec(line) ?? [];
        if (!NAME.test(name)) throw new Error('bad HELP line');
        help = { name, text: doc };
        return;
      }
      if (line.startsWith('# TYPE ')) {
        const [, name = '', type = ''] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? [];
        if (!NAME.test(name) || !TYPES.has(type)) throw new Error('bad TYPE line');
        if (families.has(name)) throw new Error(`family ${name} declared twice`);
        if (help?.name !== name) throw new Error(`TYPE ${name} without its HELP right before`);
        current = { name, help: help.text, type, samples: [] };
        families.set(name, current);
        return;
      }
      if (line.startsWith('#')) return;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!name) throw new Error('a sample without a metric name');
      const { labels, rest } = line[name.length] === '{' ? parseLabels(line.slice(name.length)) : { labels: {}, rest: line.slice(name.length) };
      const parts = rest.trim().split(' ');
      if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error('expected " VALUE [TIMESTAMP]"');
      const value = parseValue(parts[0]!);
      if (!current || !(SUFFIXES[current.type] ?? ['']).some((suffix) => name === current!.name + suffix)) {
        throw new Error(`sample ${name} outside its family's block`);
      }
      const series = name + JSON.stringify(Object.entries(labels).sort());
      if (seen.has(series)) throw new Error(`series ${series} repeated`);
      seen.add(series);
      if (current.type === 'counter' && !(value >= 0)) throw new Error(`counter ${name} is ${value}`);
      current.samples.push({ name, labels, value });
    } catch (err) {
      throw new Error(`line ${n + 1} (${JSON.stringify(line)}): ${(err as Error).message}`);
    }
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** The value of one series, or undefined when it is not there. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    const sample = family.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
    if (sample) return sample.value;
  }
  return undefined;
}
