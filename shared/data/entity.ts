/**
 * How an entity of the one table is declared: its key templates (pk, sk, the index keys it puts in
 * gsi1/gsi2) and the names its fields take as attributes. Repositories build every key and item
 * from a declaration and read items back through the same one, so no key string and no field
 * name is written twice; docs/data-model.md lists the declarations (a test holds the two equal).
 *
 * A template is literal text with placeholders: `USER#<id>`; `<name:lower>` puts the value in
 * lower case (names are unique whatever their case).
 */
import type { IndexName } from './table-definition.ts';

type Placeholder<T extends string> = T extends `${string}<${infer P}>${infer Rest}`
  ? (P extends `${infer Name}:${string}` ? Name : P) | Placeholder<Rest>
  : never;

/** The values a template needs, by placeholder name. */
export type TemplateParams<T extends string> = { [K in Placeholder<T>]: string | number };

const PLACEHOLDER = /<([^<>:]+)(?::(lower))?>/g;

/** One key template, e.g. `USER#<id>#SESSIONS`. */
export class KeyTemplate<T extends string = string> {
  constructor(readonly template: T) {}

  /** The key of these values; a missing value is a bug of the caller, not an empty key. */
  fill(params: TemplateParams<T>): string {
    return this.template.replace(PLACEHOLDER, (_, name: string, lower?: string) => {
      const value = (params as Record<string, string | number | null | undefined>)[name];
      if (value === undefined || value === null || value === '') throw new Error(`The key ${this.template} needs a value for <${name}>.`);
      return lower ? String(value).toLowerCase() : String(value);
    });
  }

  /** The placeholders' names, in order. */
  get placeholders(): string[] {
    return [...this.template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  }

  /** The literal text every key of this template starts with (`CLUSTER#<id>`: `CLUSTER#`), e.g. for a stream filter's prefix. */
  get prefix(): string {
    return this.template.split(PLACEHOLDER)[0]!;
  }

  /** The IAM `dynamodb:LeadingKeys` pattern (StringLike) of every key of this template: each placeholder a `*`. */
  get pattern(): string {
    return this.template.replace(PLACEHOLDER, '*');
  }

  /** The values a key was built from, or undefined when the key is not one of this template's. */
  parse(key: string): Record<string, string> | undefined {
    const names = this.placeholders;
    const literal = this.template.split(PLACEHOLDER).filter((_, i) => i % 3 === 0);
    const escaped = literal.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const match = new RegExp(`^${escaped.map((part, i) => (i < names.length ? `${part}(.+?)` : part)).join('')}$`).exec(key);
    return match ? Object.fromEntries(names.map((name, i) => [name, match[i + 1]!])) : undefined;
  }
}

/** How one field of a record is stored: the attributes it writes, and how it is read back. */
export interface Field<V> {
  /** The attributes it writes (what an update removes to clear it). */
  names: string[];
  write(value: V): Record<string, unknown>;
  read(item: Record<string, unknown>): V;
}

interface AttributeOptions<V> {
  /** What reads back when the attribute is absent. */
  absent?: V;
  /** The stored form of a value (null, which removes an attribute, is never converted). */
  stored?: (value: NonNullable<V>) => unknown;
  /** The value of a stored form. */
  loaded?: (stored: unknown) => V;
}

/** A field stored as one attribute. */
export function attribute<V>(name: string, options: AttributeOptions<V> = {}): Field<V> {
  const { absent, stored, loaded } = options;
  return {
    names: [name],
    write: (value) => (value === undefined ? {} : { [name]: value !== null && stored ? stored(value as NonNullable<V>) : value }),
    read: (item) => {
      const value = item[name];
      if (value === undefined || value === null) return absent as V;
      return loaded ? loaded(value) : (value as V);
    },
  };
}

/** A field stored as its JSON text: read back whole, never queried by its parts. */
export function json<V>(name: string): Field<V> {
  return attribute<V>(name, { stored: (value) => JSON.stringify(value), loaded: (text) => JSON.parse(text as string) as V });
}

/** A field stored as a map of its own, its fields named by `mapping`. */
export function nested<V extends object>(name: string, mapping: ItemMapping<V>): Field<V | undefined> {
  return attribute<V | undefined>(name, { stored: (value) => mapping.write(value), loaded: (value) => mapping.read(value as Record<string, unknown>) });
}

/** A record field's name as an attribute name (`passwordHash` stored as `password_hash`), or the field itself. */
export type Fields<R> = { [K in keyof R]-?: string | Field<R[K]> };

const asField = <V>(spec: string | Field<V>): Field<V> => (typeof spec === 'string' ? attribute<V>(spec) : spec);

/** Maps a record to the attributes of its item and back: one declaration used both ways. */
export class ItemMapping<R> {
  private readonly fields: [keyof R, Field<unknown>][];

  constructor(fields: Fields<R>) {
    this.fields = Object.entries(fields).map(([key, spec]) => [key as keyof R, asField(spec as string | Field<unknown>)]);
  }

  /** The attributes of the fields present in `record` (an absent field writes nothing, a null one writes null). */
  write(record: Partial<R>): Record<string, unknown> {
    return Object.assign({}, ...this.fields.filter(([key]) => record[key] !== undefined).map(([key, field]) => field.write(record[key])));
  }

  read(item: Record<string, unknown>): R {
    return Object.fromEntries(this.fields.map(([key, field]) => [key, field.read(item)])) as R;
  }

  /** The attributes a field writes. */
  names(key: keyof R): string[] {
    return this.fields.find(([k]) => k === key)?.[1].names ?? [];
  }
}

export const fields = <R>(declared: Fields<R>) => new ItemMapping<R>(declared);

interface IndexKeys {
  pk: string;
  sk: string;
  /** Written only when the item has the values (audit entries of no user or cluster stay out of that index). */
  sparse?: boolean;
}

export interface EntityDeclaration {
  /** The item's `entity` attribute. */
  entity: string;
  pk: string;
  sk: string;
  indexes?: Partial<Record<IndexName, IndexKeys>>;
}

type IndexesOf<D extends EntityDeclaration> = keyof NonNullable<D['indexes']> & IndexName;
type IndexOf<D extends EntityDeclaration, I extends IndexName> = NonNullable<NonNullable<D['indexes']>[I]> extends infer X extends IndexKeys ? X : never;

type IndexTemplates<D extends EntityDeclaration, Sparse extends boolean> = {
  [I in IndexesOf<D>]: (IndexOf<D, I>['sparse'] extends true ? true : false) extends Sparse ? IndexOf<D, I>['pk'] | IndexOf<D, I>['sk'] : never;
}[IndexesOf<D>];

/** Every value an item's keys need: the primary key's and the indexes' (a sparse index's may be left out). */
export type KeyParams<D extends EntityDeclaration> = TemplateParams<D['pk'] | D['sk'] | IndexTemplates<D, false>> & {
  [K in Placeholder<IndexTemplates<D, true>>]?: string | number | null;
};

/** An entity's key templates, as declared. */
export class Entity<const D extends EntityDeclaration, R = never> {
  readonly entity: D['entity'];
  readonly pk: KeyTemplate<D['pk']>;
  readonly sk: KeyTemplate<D['sk']>;
  readonly indexes: { name: IndexName; pk: KeyTemplate; sk: KeyTemplate; sparse: boolean }[];

  constructor(
    declaration: D,
    /** The record's fields as attributes; keys and `entity` are not among them. */
    readonly attributes?: ItemMapping<R>,
  ) {
    this.entity = declaration.entity;
    this.pk = new KeyTemplate(declaration.pk);
    this.sk = new KeyTemplate(declaration.sk);
    this.indexes = Object.entries(declaration.indexes ?? {}).map(([name, keys]) => ({
      name: name as IndexName,
      pk: new KeyTemplate(keys!.pk),
      sk: new KeyTemplate(keys!.sk),
      sparse: keys!.sparse ?? false,
    }));
  }

  /** The primary key. */
  key(params: TemplateParams<D['pk'] | D['sk']>) {
    return { pk: this.pk.fill(params), sk: this.sk.fill(params) };
  }

  /** The partition an item of these values lives in (a query of the partition). */
  partition(params: TemplateParams<D['pk']>): string {
    return this.pk.fill(params);
  }

  private index(name: IndexName) {
    const index = this.indexes.find((i) => i.name === name);
    if (!index) throw new Error(`The entity ${this.entity} has no key in ${name}.`);
    return index;
  }

  /** The index partition to query, e.g. a user's sessions on gsi1. */
  indexPartition<I extends IndexesOf<D>>(name: I, params: TemplateParams<IndexOf<D, I>['pk']>): string {
    return this.index(name).pk.fill(params);
  }

  /** One index's key attributes (`gsi1pk`, `gsi1sk`), e.g. to move an item in the index when its name changes. */
  indexKey<I extends IndexesOf<D>>(name: I, params: TemplateParams<IndexOf<D, I>['pk'] | IndexOf<D, I>['sk']>) {
    const index = this.index(name);
    return { [`${name}pk`]: index.pk.fill(params as never), [`${name}sk`]: index.sk.fill(params as never) };
  }

  /** Everything an item of this entity carries besides its fields: the keys, the index keys and `entity`. */
  keys(params: KeyParams<D>): { pk: string; sk: string; entity: string } & Record<string, string> {
    const values = params as Record<string, string | number | undefined>;
    const indexKeys = this.indexes
      .filter((i) => !i.sparse || [...i.pk.placeholders, ...i.sk.placeholders].every((p) => values[p] !== undefined && values[p] !== null))
      .map((i) => ({ [`${i.name}pk`]: i.pk.fill(values as never), [`${i.name}sk`]: i.sk.fill(values as never) }));
    return Object.assign({ ...this.key(params as never), entity: this.entity }, ...indexKeys);
  }

  /** The whole item of a record: its keys (from the record's own fields) and its attributes. */
  item(record: R & KeyParams<D>): Record<string, unknown> & { pk: string; sk: string; entity: string } {
    return { ...this.keys(record), ...this.attributes?.write(record) };
  }

  /** The record an item holds. */
  read(item: Record<string, unknown>): R {
    return this.mapping().read(item);
  }

  /** The attributes of the fields present in `changes` (an update's SET; a null one is to be removed). */
  write(changes: Partial<R>): Record<string, unknown> {
    return this.mapping().write(changes);
  }

  /** The attributes a field is stored in. */
  attributeNames(field: keyof R): string[] {
    return this.mapping().names(field);
  }

  private mapping(): ItemMapping<R> {
    if (!this.attributes) throw new Error(`The entity ${this.entity} declares no attributes.`);
    return this.attributes;
  }

  /** Whether a stored item is one of this entity's (its `entity` and keys), not just any item that shares an index key. */
  holds(item: { pk: string; sk: string; entity?: unknown }): boolean {
    return item.entity === this.entity && this.pk.parse(item.pk) !== undefined && this.sk.parse(item.sk) !== undefined;
  }
}

export function defineEntity<const D extends EntityDeclaration, R = never>(declaration: D, attributes?: ItemMapping<R>): Entity<D, R> {
  return new Entity(declaration, attributes);
}
