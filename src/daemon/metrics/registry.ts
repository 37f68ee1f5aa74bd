/**
 * The daemon's Prometheus metrics (`GET /metrics`), one prom-client registry per daemon (tests
 * run several in a process). What each metric counts is in docs/metrics.md. No label carries a
 * secret or a key's name: the number of keys is unbounded, so per-key series would be too.
 *
 * Other parts of the daemon write to these: the verify paths through `verify` (a
 * `VerifyMeter`, allocation-free), the webhook dispatcher through `webhookDeliveries`, the
 * replica streams through `replicasConnected`, the store through `timedStore` (store-timing.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricType, type MetricValueWithName } from 'prom-client';
import { ALERT_KINDS, type AlertKind } from '../alerts/kinds.js';
import { VERIFY_BUCKETS, VerifyMeter } from './verify-meter.js';

/** What a webhook delivery attempt came to: delivered, failed (to be retried), or given up after 24 h. */
const DELIVERY_RESULTS = ['delivered', 'failed', 'gave_up'] as const;

/** Seconds: a SQLite commit with fsync takes a few ms; PostgreSQL adds a round trip or two. */
const STORE_WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Snapshot = MetricObjectWithValues<MetricValueWithName<string>>;

/**
 * A histogram whose counts live in a `VerifyMeter` (plain typed arrays the hot path writes)
 * and are read only when scraped. prom-client's registry reads a histogram through
 * `getForPromString` (text) or `get` (JSON); both are answered here.
 */
class MeterHistogram extends Histogram<string> {
  private static readonly NAME = 'keyward_verify_duration_seconds';
  private static readonly HELP = 'Time to answer a verification, from the request reaching the daemon to its answer';

  constructor(
    registry: Registry,
    private readonly meter: VerifyMeter,
  ) {
    super({ name: MeterHistogram.NAME, help: MeterHistogram.HELP, buckets: [...VERIFY_BUCKETS], registers: [registry] });
  }

  private snapshot(): Snapshot {
    const { buckets, sum, count } = this.meter.latency();
    const name = MeterHistogram.NAME;
    const values: MetricValueWithName<string>[] = [];
    let cumulative = 0;
    VERIFY_BUCKETS.forEach((le, i) => {
      cumulative += buckets[i]!;
      values.push({ metricName: `${name}_bucket`, labels: { le }, value: cumulative });
    });
    values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: count });
    values.push({ metricName: `${name}_sum`, labels: {}, value: sum });
    values.push({ metricName: `${name}_count`, labels: {}, value: count });
    // prom-client's types declare `type` a numeric enum; its code (and the text format) use the name.
    return { name, help: MeterHistogram.HELP, type: 'histogram' as unknown as MetricType, aggregator: 'sum', collect: () => {}, values };
  }

  override async get(): Promise<Snapshot> {
    return this.snapshot();
  }

  /** What prom-client's registry calls for the text format. */
  async getForPromString(): Promise<Snapshot> {
    return this.snapshot();
  }
}

export type MetricsOptions = {
  /** Keys by status, read when scraped; a failure (the store is unavailable) leaves the last values. */
  keyCounts: () => Promise<Record<string, number>>;
  /** Alerts not acknowledged yet, by kind, read from the store when scraped, as `keyCounts`. */
  openAlerts: () => Promise<Partial<Record<AlertKind, number>>>;
  /** Whether the key index is still loading in the background (verify/warm-index.ts). */
  indexLoading: () => boolean;
  /** Whether filtered key lists are read on the event loop, their worker gone (db/sqlite/off-loop-reads.ts). */
  listReadsOnLoop: () => boolean;
  /** Whether the home's reserve file is not in place (db/sqlite/reserve-file.ts). */
  reserveFileMissing: () => boolean;
  /** Whether the shared store cannot be reached now: the daemon is degraded (`storeUnreachable`). */
  storeUnreachable: () => boolean;
};

export class DaemonMetrics {
  readonly registry = new Registry();
  /** Written by both verify paths: outcome and latency of every answered verification. */
  readonly verify = new VerifyMeter();
  /** In-process verifiers (replicas) connected to this daemon; the replica streams set it. */
  readonly replicasConnected: Gauge<string>;
  readonly webhookDeliveries: Counter<'result'>;
  readonly storeWrites: Histogram<'operation'>;

  constructor(options: MetricsOptions) {
    const { registry, verify } = this;
    collectDefaultMetrics({ register: registry });
    new Counter({
      name: 'keyward_verifications_total',
      help: 'Verifications answered, by outcome: valid, or the code of the refusal',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { outcome, count } of verify.outcomes()) this.inc({ outcome }, count);
      },
    });
    new MeterHistogram(registry, verify);
    new Gauge({
      name: 'keyward_keys',
      help: 'Keys in the store, by status',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        let counts: Record<string, number>;
        try {
          counts = await options.keyCounts();
        } catch {
          return; // the last counts stay: a scrape during an outage still gets the process metrics
        }
        this.reset();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    new Gauge({
      name: 'keyward_alerts_open',
      help: 'Alerts not acknowledged yet, by kind (every kind, 0 when none is open); sightings of the last second may not be written yet',
      labelNames: ['kind'],
      registers: [registry],
      async collect() {
        let counts: Partial<Record<AlertKind, number>>;
        try {
          counts = await options.openAlerts();
        } catch {
          return; // as keyward_keys: the last counts stay
        }
        for (const kind of ALERT_KINDS) this.set({ kind }, counts[kind] ?? 0);
      },
    });
    new Gauge({
      name: 'keyward_key_index_loading',
      help: '1 while the verification index loads in the background after startup (the store answers for keys not loaded yet), else 0',
      registers: [registry],
      collect() {
        this.set(options.indexLoading() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'keyward_key_list_reads_on_event_loop',
      help: '1 once filtered key lists are read on the daemon\'s own connection because their read worker stopped (SQLite; a slow list then stalls verification), else 0',
      registers: [registry],
      collect() {
        this.set(options.listReadsOnLoop() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'keyward_reserve_file_missing',
      help: '1 while the home\'s reserve file is not in place (given to a write that took access away on a full disk, or no room to create it; SQLite), else 0',
      registers: [registry],
      collect() {
        this.set(options.reserveFileMissing() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'keyward_store_unreachable',
      help: '1 while the daemon cannot reach its shared store (PostgreSQL): /v1/health says degraded, verify answers from memory, writes fail with 503; else 0, and always 0 on SQLite',
      registers: [registry],
      collect() {
        this.set(options.storeUnreachable() ? 1 : 0);
      },
    });
    this.replicasConnected = new Gauge({ name: 'keyward_replicas_connected', help: 'In-process verifiers (replicas) following this daemon', registers: [registry] });
    this.webhookDeliveries = new Counter({
      name: 'keyward_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by result: delivered, failed (will be retried), gave_up (failed for 24 h)',
      labelNames: ['result'],
      registers: [registry],
    });
    for (const result of DELIVERY_RESULTS) this.webhookDeliveries.inc({ result }, 0);
    this.storeWrites = new Histogram({
      name: 'keyward_store_write_duration_seconds',
      help: 'Time of a write to the key store (one transaction, commit included), by store operation',
      labelNames: ['operation'],
      buckets: STORE_WRITE_BUCKETS,
      registers: [registry],
    });
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    // prom-client writes NaN (an event-loop lag before its first sample) as `Nan`; the format says `NaN`.
    return (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
