/**
 * The TypeScript type a JSON schema describes, computed by the compiler from the schema literal
 * (written `as const`), so a format's type is derived from its frozen schema instead of restated
 * by hand. Covers the subset `checkSchema` checks: type (one or several), const, enum, properties
 * with required, additionalProperties / patternProperties (as records), items, and local `$ref`s
 * into `$defs`. Keywords that only narrow values (lengths, patterns, bounds) do not change types.
 */

type Json = { readonly [key: string]: unknown };

type Primitive<T> = T extends 'string'
  ? string
  : T extends 'integer' | 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type RequiredKeys<S> = S extends { readonly required: readonly (infer K)[] } ? K & string : never;

type ObjectOf<S, Root> = S extends { readonly properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredKeys<S> ? K : never]: Infer<P[K], Root> } & {
        -readonly [K in keyof P as K extends RequiredKeys<S> ? never : K]?: Infer<P[K], Root>;
      }
    >
  : S extends { readonly additionalProperties: infer A extends Json }
    ? Record<string, Infer<A, Root>>
    : S extends { readonly patternProperties: infer PP }
      ? Partial<Record<string, Infer<PP[keyof PP], Root>>>
      : Record<string, unknown>;

type OfType<T, S, Root> = T extends 'object'
  ? ObjectOf<S, Root>
  : T extends 'array'
    ? S extends { readonly items: infer I }
      ? Infer<I, Root>[]
      : unknown[]
    : Primitive<T>;

/** The type of values that fit schema `S` (whose `$defs` live in `Root`). */
export type Infer<S, Root = S> = S extends { readonly $ref: `#/$defs/${infer Name}` }
  ? Root extends { readonly $defs: infer D }
    ? Name extends keyof D
      ? Infer<D[Name], Root>
      : never
    : never
  : S extends { readonly const: infer C }
    ? C
    : S extends { readonly enum: readonly (infer E)[] }
      ? E
      : S extends { readonly type: readonly (infer T)[] }
        ? OfType<T, S, Root>
        : S extends { readonly type: infer T }
          ? OfType<T, S, Root>
          : S extends { readonly properties: unknown }
            ? ObjectOf<S, Root>
            : unknown;

/** `T` with every readonly modifier removed and nested objects spelled out, for comparisons. */
export type Plain<T> = T extends readonly (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Plain<T[K]> }
    : T;

/** True exactly when A and B are the same type (optional and readonly modifiers included). */
export type Same<A, B> =
  (<T>() => T extends Plain<A> ? 1 : 2) extends <T>() => T extends Plain<B> ? 1 : 2 ? true : false;

/** Compiles only when given `true`: `const _: Assert<Same<A, B>> = true`. */
export type Assert<T extends true> = T;
