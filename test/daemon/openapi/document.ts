/**
 * Reading the daemon's OpenAPI document in tests: its operations, and validators for what an
 * answer may be (status, media type, headers, body) built with ajv from the document's own
 * schemas. Objects are validated closed (`additionalProperties: false` wherever the document
 * leaves it open), so a field the document does not list fails too.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = formats as unknown as typeof formats.default;

type Schema = Record<string, unknown>;
type Header = { required?: boolean; schema?: Schema };
type Media = { schema?: Schema; example?: unknown; examples?: Record<string, { value: unknown }> };
export type ResponseDoc = { description: string; headers?: Record<string, Header>; content?: Record<string, Media> };
export type Parameter = { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: Schema };
export type OperationDoc = {
  operationId?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, Media> };
  responses: Record<string, ResponseDoc>;
};
export type Document = {
  openapi: string;
  security?: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, OperationDoc>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Schema> };
};

export type Operation = { id: string; method: string; path: string; doc: OperationDoc; secured: boolean };

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

export function operationsOf(doc: Document): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]) => ({
        id: op.operationId ?? `${method} ${path}`,
        method,
        path,
        doc: op,
        secured: (op.security ?? doc.security ?? []).length > 0,
      })),
  );
}

/**
 * A copy of `schema` where every object that lists properties admits no others. An `allOf` of
 * objects (zod's `.extend()` of a named schema) is merged into one object first: closing each
 * part on its own would refuse the other parts' properties.
 */
function closed(schema: unknown, components: Record<string, Schema>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => closed(s, components));
  if (schema === null || typeof schema !== 'object') return schema;
  const merged = mergeAllOf(schema as Schema, components);
  const out = Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, k === 'example' || k === 'examples' ? v : closed(v, components)]));
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

function mergeAllOf(schema: Schema, components: Record<string, Schema>): Schema {
  if (!Array.isArray(schema.allOf)) return schema;
  const { allOf, ...rest } = schema;
  const parts = (allOf as Schema[]).map((part) => (typeof part.$ref === 'string' ? components[part.$ref.replace('#/components/schemas/', '')]! : part));
  if (!parts.every((p) => p.type === 'object')) return schema;
  return {
    ...rest,
    type: 'object',
    properties: Object.assign({}, ...parts.map((p) => p.properties)),
    required: parts.flatMap((p) => (p.required as string[] | undefined) ?? []),
  };
}

/** JSON-pointer escaping of one path segment. */
const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export class DocumentValidator {
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly doc: Document) {
    // strict: false lets OpenAPI's own keywords (example, discriminator) through unread.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(closed(doc, doc.components.schemas) as Schema, 'openapi');
  }

  /** Validates `value` against the schema at `path` (JSON-pointer segments) of the document. */
  validate(path: string[], value: unknown): string[] {
    const ref = `openapi#/${path.map(pointer).join('/')}`;
    const fn = this.cache.get(ref) ?? this.ajv.compile({ $ref: ref });
    this.cache.set(ref, fn);
    return fn(value) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }

  /** The schema of a component, e.g. `Event`, as a validator path. */
  componentPath(name: string): string[] {
    return ['components', 'schemas', name];
  }
}

export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/**
 * Why `answer` is not one the document allows for `op`; empty when it is. Checks the status is
 * listed, the media type is one listed for it, every required header is there and valid, and
 * the body matches the schema.
 */
export function problemsWith(v: DocumentValidator, op: Operation, answer: Answer): string[] {
  const response = op.doc.responses[String(answer.status)];
  if (!response) return [`status ${answer.status} is not documented (body: ${answer.body.slice(0, 200)})`];
  const problems: string[] = [];
  const base = ['paths', op.path, op.method, 'responses', String(answer.status)];
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const value = answer.headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required) problems.push(`header ${name} is missing`);
      continue;
    }
    if (header.schema) problems.push(...v.validate([...base, 'headers', name, 'schema'], value).map((p) => `header ${name}: ${p}`));
  }
  const media = Object.keys(response.content ?? {});
  const type = String(answer.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (media.length === 0) {
    if (answer.body !== '') problems.push(`documented without a body, answered ${JSON.stringify(answer.body.slice(0, 200))}`);
    return problems;
  }
  if (!media.includes(type)) return [...problems, `answered ${type || 'no content type'}, documented ${media.join(', ')}`];
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return [...problems, `body is not JSON: ${answer.body.slice(0, 200)}`];
    }
    problems.push(...v.validate([...base, 'content', type, 'schema'], body).map((p) => `body ${p} in ${answer.body.slice(0, 300)}`));
  }
  return problems;
}
