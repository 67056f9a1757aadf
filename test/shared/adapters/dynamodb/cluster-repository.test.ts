/**
 * The cluster repository on DynamoDB Local: listing never shows a cluster hidden from the caller,
 * however many are hidden (DynamoDB's IN takes only 100 operands), and paging still reaches every
 * visible one.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoClusterRepository } from '#shared/adapters/dynamodb/clusters/cluster-repository.ts';
import { ensureTable } from '#shared/adapters/dynamodb/create-table.ts';
import { Table } from '#shared/adapters/dynamodb/table.ts';
import { localDynamoDbClient } from '#infra/local/dynamodb-local.ts';
import { clusterRecord } from '#test/support/clusters.ts';

const client = localDynamoDbClient(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
const table = new Table(client, `cluster-repository-${randomUUID()}`);
const clusters = new DynamoClusterRepository(table);

const TOTAL = 130;
/** Every 13th cluster is visible: 10 of 130, with runs of 12 hidden ones between them. */
const isVisible = (i: number) => i % 13 === 0;
const names = Array.from({ length: TOTAL }, (_, i) => `c-${String(i).padStart(3, '0')}`);
const ids = new Map<string, string>();

beforeAll(async () => {
  await ensureTable(client, table.name);
  for (let i = 0; i < TOTAL; i += 10) {
    const batch = await Promise.all(names.slice(i, i + 10).map((name) => clusters.create(clusterRecord(name))));
    for (const c of batch) ids.set(c.name, c.id);
  }
});

describe('listing clusters hidden from the caller', () => {
  const visible = names.filter((_, i) => isVisible(i));
  const hidden = () => names.filter((_, i) => !isVisible(i)).map((name) => ids.get(name)!);

  it('leaves out every hidden cluster, also past the first 100', async () => {
    expect(hidden()).toHaveLength(120);
    const page = await clusters.list({ hidden: hidden() }, 500);
    expect(page.items.map((c) => c.name)).toEqual(visible);
    expect(page.continue).toBeUndefined();
  });

  it('pages through every visible cluster and no hidden one, whatever the page size', async () => {
    for (const limit of [1, 3, 7]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await clusters.list({ hidden: hidden() }, limit, cursor);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((c) => c.name));
        cursor = page.continue;
        expect(++pages).toBeLessThan(TOTAL);
      } while (cursor);
      expect(seen, `limit ${limit}`).toEqual(visible);
    }
  });

  it('combines the hidden set with the other filters', async () => {
    const page = await clusters.list({ hidden: hidden(), search: 'c-1' }, 50);
    expect(page.items.map((c) => c.name)).toEqual(visible.filter((n) => n.startsWith('c-1')));
  });
});
