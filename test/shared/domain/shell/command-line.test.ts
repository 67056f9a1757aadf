import { describe, expect, it } from 'vitest';
import { planShell } from '#shared/domain/shell/run-shell.ts';
import { humanDuration, table } from '#shared/domain/shell/printers.ts';
import { targetsOf } from '#shared/domain/shell/session.ts';

/** The shell's reading of a command line, which needs no cluster: what runs, and what is refused before anything does. */
describe('reading a command line', () => {
  it('reads quoted words and kubectl flag forms, `kubectl` itself left out', () => {
    const plan = planShell(`kubectl get pods -owide -n shop -l 'app in (web, api)' --show-labels`);
    expect('line' in plan && plan.line).toMatchObject({
      words: ['get', 'pods'],
      flags: { output: 'wide', namespace: 'shop', selector: 'app in (web, api)', 'show-labels': true },
    });
    expect('verb' in plan && plan.verb).toMatchObject({ name: 'get', role: 'viewer', tier: 'read' });
    const undo = planShell('rollout undo deployment/web --to-revision=2');
    expect('verb' in undo && undo.verb).toMatchObject({ name: 'rollout undo', role: 'operator', tier: 'exec', action: 'resource.rollback' });
  });

  it.each([
    ['get pods | grep web', /"\|" is not supported/],
    ['get pods; delete pod web', /";" is not supported/],
    ['get pods > out.txt', /">" is not supported/],
    ['get pods $(whoami)', /variables|not supported/],
    ['get pod $HOME', /variables \(\$NAME\) are not expanded/],
    ['logs web-0', /"logs" is not supported by the clusterhub shell: pod logs/],
    ['top pods', /"top" is not supported.*metrics/],
    ['exec web-0 -- ls', /"exec" is not supported/],
    ['frobnicate', /unknown command "frobnicate"/],
    ['rollout pause deployment/web', /unknown command "pause" for "kubectl rollout"/],
    ['get pods --replicas=3', /unknown flag: --replicas/],
    ['get pods --no-such-flag', /unknown flag: --no-such-flag/],
  ])('refuses %j with exit code 1 and the reason', (command, why) => {
    const plan = planShell(command);
    expect('refused' in plan).toBe(true);
    if ('refused' in plan) {
      expect(plan.refused.exit_code).toBe(1);
      expect(plan.refused.stdout).toBe('');
      expect(plan.refused.stderr).toMatch(why);
    }
  });

  it('caps the objects one command names', () => {
    expect(targetsOf(['pods', ...Array.from({ length: 20 }, (_, i) => `p${i}`)])[0]!.names).toHaveLength(20);
    expect(() => targetsOf(['pods', ...Array.from({ length: 21 }, (_, i) => `p${i}`)])).toThrow(/at most 20 objects/);
    expect(targetsOf(['deploy/web', 'pod/a', 'pod/b'])).toEqual([
      { kind: 'deploy', names: ['web'] },
      { kind: 'pod', names: ['a', 'b'] },
    ]);
  });
});

describe("kubectl's printing", () => {
  it('writes ages as HumanDuration does', () => {
    const s = 1000;
    expect([5 * s, 119 * s, 150 * s, 600 * s, 3 * 3600 * s + 60 * s, 10 * 3600 * s, 3 * 86400 * s + 3600 * s, 30 * 86400 * s].map(humanDuration)).toEqual([
      '5s',
      '119s',
      '2m30s',
      '10m',
      '3h1m',
      '10h',
      '3d1h',
      '30d',
    ]);
  });

  it('aligns columns as its tabwriter does (padding 3, width at least 6)', () => {
    expect(
      table([
        ['NAME', 'READY', 'AGE'],
        ['web-0', '1/1', '5s'],
      ]),
    ).toBe('NAME    READY   AGE\nweb-0   1/1     5s\n');
  });
});
