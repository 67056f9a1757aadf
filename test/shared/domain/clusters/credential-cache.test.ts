/**
 * The checked credentials a hub instance remembers: read once per secret while fresh, read again
 * once old, a failed read never remembered, and at most the bound of secrets kept.
 */
import { describe, expect, it } from 'vitest';
import { CredentialCache } from '#shared/domain/clusters/credential-cache.ts';
import type { CheckedKubeconfig } from '#shared/domain/clusters/kubeconfig-policy.ts';
import { movableClock } from '#test/support/hub.ts';

const checked = (server: string) => ({ kubeconfig: `server: ${server}`, summary: { server } }) as unknown as CheckedKubeconfig;

function counted() {
  const reads: string[] = [];
  const read =
    (ref: string, answer: () => Promise<CheckedKubeconfig> = async () => checked(ref)) =>
    () => {
      reads.push(ref);
      return answer();
    };
  return { reads, read };
}

describe('CredentialCache', () => {
  it('reads a secret once while fresh, and again once older than its lifetime', async () => {
    const clock = movableClock();
    const cache = new CredentialCache(clock, 60_000);
    const { reads, read } = counted();
    await cache.get('a', read('a'));
    await cache.get('a', read('a'));
    expect(reads).toEqual(['a']);
    clock.advance(60_001);
    expect((await cache.get('a', read('a'))).summary.server).toBe('a');
    expect(reads).toEqual(['a', 'a']);
  });

  it('remembers no failed read: the next request reads again', async () => {
    const cache = new CredentialCache(movableClock());
    const { reads, read } = counted();
    await expect(
      cache.get(
        'gone',
        read('gone', async () => Promise.reject(new Error('missing'))),
      ),
    ).rejects.toThrow('missing');
    await cache.get('gone', read('gone'));
    expect(reads).toEqual(['gone', 'gone']);
  });

  it('keeps at most its bound of secrets, the least recently used going first', async () => {
    const cache = new CredentialCache(movableClock(), 60_000, 2);
    const { reads, read } = counted();
    await cache.get('a', read('a'));
    await cache.get('b', read('b'));
    await cache.get('a', read('a')); // a is now the most recent
    await cache.get('c', read('c')); // b goes
    await cache.get('a', read('a'));
    await cache.get('b', read('b'));
    expect(reads).toEqual(['a', 'b', 'c', 'b']);
  });
});
