/**
 * Operators and their tokens. Tokens (`kwo_…`) are checked against an in-memory index by
 * SHA-256, kept in step with every operator write, so authentication never reads the store
 * and a disabled operator is refused from its next request on.
 */
import type { EventBus } from '../events/bus.js';
import { generateSecret, hashSecret, isWellFormed, newId, OPERATOR_TOKEN_PREFIX } from '../secrets/format.js';
import type { Actor, IndexedOperator, OperatorRow, Store } from '../store.js';
import type { Role } from './permissions.js';

export type OperatorJson = { id: string; name: string; role: Role; createdAt: string; disabledAt: string | null };

export function operatorJson(op: OperatorRow): OperatorJson {
  return {
    id: op.id,
    name: op.name,
    role: op.role,
    createdAt: new Date(op.createdAt).toISOString(),
    disabledAt: op.disabledAt === null ? null : new Date(op.disabledAt).toISOString(),
  };
}

export class OperatorService {
  private readonly byTokenHash = new Map<string, IndexedOperator>();

  constructor(
    private readonly store: Store,
    private readonly events: EventBus,
    private readonly now: () => number,
  ) {}

  /** (Re)loads every operator; the swap happens after the read, so no request sees an empty index. */
  async load(): Promise<void> {
    const ops = await this.store.indexedOperators();
    this.byTokenHash.clear();
    for (const op of ops) this.byTokenHash.set(op.tokenHash, op);
  }

  /** The active operator holding `token`, or undefined. Never touches the store. */
  authenticate(token: string): IndexedOperator | undefined {
    if (!isWellFormed(token, OPERATOR_TOKEN_PREFIX)) return undefined;
    const op = this.byTokenHash.get(hashSecret(token));
    return op && op.disabledAt === null ? op : undefined;
  }

  /** Whether the operator with this id exists and is not disabled. Never touches the store. */
  isActive(id: string): boolean {
    for (const op of this.byTokenHash.values()) if (op.id === id) return op.disabledAt === null;
    return false;
  }

  list(): Promise<OperatorRow[]> {
    return this.store.listOperators();
  }

  /** Creates an operator; its token is returned here and never again. */
  async create(name: string, role: Role, actor: Actor | null): Promise<{ operator: OperatorRow; token: string }> {
    const token = generateSecret(OPERATOR_TOKEN_PREFIX);
    const tokenHash = hashSecret(token);
    const operator = await this.store.createOperator(
      { id: newId('op_'), name, role, createdAt: this.now(), disabledAt: null, tokenHash },
      actor,
    );
    this.byTokenHash.set(tokenHash, { ...operator, tokenHash });
    this.events.publish({ type: 'operator.created', operator: operatorJson(operator) });
    return { operator, token };
  }

  async disable(id: string, actor: Actor): Promise<OperatorRow> {
    const operator = await this.store.disableOperator(id, this.now(), actor);
    for (const op of this.byTokenHash.values()) if (op.id === id) op.disabledAt = operator.disabledAt;
    this.events.publish({ type: 'operator.updated', operator: operatorJson(operator) });
    return operator;
  }

  /** On an empty store, creates `admin` and returns its token; otherwise undefined. */
  async bootstrap(): Promise<string | undefined> {
    if ((await this.store.countOperators()) > 0) return undefined;
    const { token } = await this.create('admin', 'admin', null);
    return token;
  }

  /** Whether `hash` is the SHA-256 of an operator's token: never to be an API key's. */
  isTokenHash(hash: string): boolean {
    return this.byTokenHash.has(hash);
  }

  get active(): number {
    let n = 0;
    for (const op of this.byTokenHash.values()) if (op.disabledAt === null) n++;
    return n;
  }
}

