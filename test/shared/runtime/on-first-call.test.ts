import { describe, expect, it } from 'vitest';
import { onFirstCall } from '#shared/runtime/on-first-call.ts';

describe('a handler loaded on its first call', () => {
  it('loads once, however many calls arrive before the load ends, and answers each with its own event', async () => {
    let loads = 0;
    const handler = onFirstCall(async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return async (event: { n: number }) => event.n * 2;
    });
    expect(await Promise.all([1, 2, 3].map((n) => handler({ n })))).toEqual([2, 4, 6]);
    expect(await handler({ n: 4 })).toBe(8);
    expect(loads).toBe(1);
  });

  it('tries again on the next call after a load that failed, instead of failing for the life of the instance', async () => {
    let loads = 0;
    const handler = onFirstCall(async () => {
      if (++loads === 1) throw new Error('the table did not answer');
      return async () => 'served';
    });
    await expect(handler()).rejects.toThrow('the table did not answer');
    expect(await handler()).toBe('served');
    expect(await handler()).toBe('served');
    expect(loads).toBe(2);
  });

  it('passes on a failure of the loaded handler without loading again', async () => {
    let loads = 0;
    const handler = onFirstCall(async () => {
      loads++;
      return async (fail: boolean) => {
        if (fail) throw new Error('refused');
        return 'ok';
      };
    });
    await expect(handler(true)).rejects.toThrow('refused');
    expect(await handler(false)).toBe('ok');
    expect(loads).toBe(1);
  });
});
