/**
 * A small JSON Schema (2020-12 subset) checker with no code generation, so it runs under a
 * strict Content-Security-Policy. It supports what QuantLens's own published schemas use:
 * type, const, enum, required, properties, additionalProperties, patternProperties,
 * maxProperties, items, maxItems, minLength, maxLength, pattern, minimum, maximum,
 * exclusiveMinimum, and local `$ref`s to `#/$defs/...`. Reports the first problem with its path.
 */

export type Schema = { [key: string]: unknown };

export interface SchemaProblem {
  /** JSON path of the offending value, e.g. `constraints.Conv2d.inputs[1].role`. */
  path: string;
  problem: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** Checks `value` against `schema`; returns the first problem, or undefined when it fits. */
export function checkSchema(
  value: unknown,
  schema: Schema,
  root: Schema = schema,
  path = '',
): SchemaProblem | undefined {
  const at = path || '(top level)';
  if (typeof schema.$ref === 'string') {
    const m = /^#\/\$defs\/(.+)$/.exec(schema.$ref);
    const target = m ? (root.$defs as Record<string, Schema> | undefined)?.[m[1]!] : undefined;
    if (!target) return { path: at, problem: `schema reference ${schema.$ref} is unknown` };
    return checkSchema(value, target, root, path);
  }
  if ('const' in schema && value !== schema.const)
    return { path: at, problem: `must be ${JSON.stringify(schema.const)}, not ${JSON.stringify(value)}` };
  if (Array.isArray(schema.enum) && !schema.enum.includes(value as never)) {
    return {
      path: at,
      problem: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, not ${JSON.stringify(value)?.slice(0, 60)}`,
    };
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeMatches(value, t)))
      return { path: at, problem: `must be ${types.join(' or ')}, not ${typeOf(value)}` };
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      return { path: at, problem: `must have at least ${schema.minLength} characters` };
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      return { path: at, problem: `must have at most ${schema.maxLength} characters` };
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      return { path: at, problem: `${JSON.stringify(value.slice(0, 60))} does not match ${schema.pattern}` };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { path: at, problem: 'must be a finite number' };
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      return { path: at, problem: `must be ≥ ${schema.minimum}` };
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      return { path: at, problem: `must be ≤ ${schema.maximum}` };
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      return { path: at, problem: `must be > ${schema.exclusiveMinimum}` };
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      return { path: at, problem: `must have at most ${schema.maxItems} items` };
    if (schema.items && typeof schema.items === 'object') {
      for (let i = 0; i < value.length; i++) {
        const p = checkSchema(value[i], schema.items as Schema, root, join(path, i));
        if (p) return p;
      }
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties)
      return { path: at, problem: `must have at most ${schema.maxProperties} entries` };
    for (const r of (schema.required as string[] | undefined) ?? []) {
      if (!Object.prototype.hasOwnProperty.call(obj, r))
        return { path: at, problem: `is missing the required field "${r}"` };
    }
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    // Own properties only: keys like __proto__ or constructor must not resolve through the prototype.
    const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
    const patterns = Object.entries((schema.patternProperties as Record<string, Schema> | undefined) ?? {}).map(
      ([re, s]) => [new RegExp(re, 'u'), s] as const,
    );
    for (const k of keys) {
      const sub = (own(props, k) ? props[k] : undefined) ?? patterns.find(([re]) => re.test(k))?.[1];
      if (sub) {
        const p = checkSchema(obj[k], sub, root, join(path, k));
        if (p) return p;
      } else if (schema.additionalProperties === false) {
        const known = Object.keys(props);
        return {
          path: join(path, k),
          problem: `is not a known field${known.length ? ` (known: ${known.join(', ')})` : ''}`,
        };
      } else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        const p = checkSchema(obj[k], schema.additionalProperties as Schema, root, join(path, k));
        if (p) return p;
      }
    }
  }
  return undefined;
}
