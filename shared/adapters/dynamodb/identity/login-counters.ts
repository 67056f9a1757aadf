import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Entity, EntityDeclaration, KeyParams, TemplateParams } from '#shared/data/entity.ts';
import { loginAccountCounter, loginSourceCounter, loginSourceOnAccountCounter } from '#shared/data/entities/identity.ts';
import type { LoginCounter, LoginCounterState, LoginCounterStore } from '#shared/domain/identity/ports.ts';
import type { StoredItem, Table } from '../table.ts';

/** A counter's key, `entity` and item: each kind has keys of its own (the state is stored alike). */
function itemOf(c: LoginCounter) {
  switch (c.kind) {
    case 'source':
      return declared(loginSourceCounter, c);
    case 'source-on-account':
      return declared(loginSourceOnAccountCounter, c);
    case 'account':
      return declared(loginAccountCounter, c);
  }
}

function declared<const D extends EntityDeclaration>(entity: Entity<D, LoginCounterState>, params: KeyParams<D> & TemplateParams<D['pk'] | D['sk']>) {
  return { entity: entity.entity, key: entity.key(params), item: (state: LoginCounterState) => entity.item({ ...params, ...state }) };
}

/** The state of a counter from the item a refused condition returned (still in wire format). */
function stateOf(item: Record<string, AttributeValue> | undefined): LoginCounterState | undefined {
  if (!item?.attempts?.N || !item.expires_at?.N) return undefined;
  return { count: Number(item.attempts.N), expiresAt: Number(item.expires_at.N), nextAt: item.next_at?.N === undefined ? undefined : Number(item.next_at.N) };
}

/**
 * Login attempt counters: one conditional write counts an attempt or refuses it, so every
 * instance sees the same counts and parallel attempts count one each. Items expire through TTL.
 */
export class DynamoLoginCounterStore implements LoginCounterStore {
  constructor(private readonly table: Table) {}

  async count(counter: LoginCounter, max: number, now: number, expiresAt: number) {
    const { entity, key } = itemOf(counter);
    const out = await this.table.updateItem(key, {
      update: 'ADD attempts :one SET expires_at = :expires, #ttl = :expires, entity = :entity',
      condition: 'attribute_not_exists(attempts) OR (attempts < :max AND expires_at > :now)',
      names: { '#ttl': 'ttl' },
      values: { ':one': 1, ':max': max, ':now': now, ':expires': expiresAt, ':entity': entity },
      returnRefused: true,
    });
    return out.applied ? { counted: true as const } : { counted: false as const, state: stateOf(out.refused) };
  }

  async replace(counter: LoginCounter, observed: LoginCounterState, next: LoginCounterState): Promise<boolean> {
    const sameNextAt = observed.nextAt === undefined ? 'attribute_not_exists(next_at)' : 'next_at = :nextAt';
    return this.table.put(itemOf(counter).item(next), {
      condition: `attempts = :count AND expires_at = :expires AND ${sameNextAt}`,
      values: {
        ':count': observed.count,
        ':expires': observed.expiresAt,
        ...(observed.nextAt === undefined ? {} : { ':nextAt': observed.nextAt }),
      },
    });
  }

  async release(counter: LoginCounter): Promise<void> {
    // Cleared or expired meanwhile (the condition fails): nothing left to give back.
    await this.table.updateItem(itemOf(counter).key, {
      update: 'ADD attempts :minusOne',
      condition: 'attempts > :zero',
      values: { ':minusOne': -1, ':zero': 0 },
    });
  }

  async clear(counter: LoginCounter): Promise<void> {
    await this.table.delete(itemOf(counter).key);
  }

  async clearAccount(account: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.table.query<StoredItem>({ partition: loginAccountCounter.partition({ account }), limit: 100, cursor });
      await Promise.all(page.items.map((i) => this.table.delete({ pk: i.pk, sk: i.sk })));
      cursor = page.continue;
    } while (cursor);
  }
}
