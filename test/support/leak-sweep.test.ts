import { describe, expect, it } from 'vitest';
import { startTestHub } from '#test/support/hub.ts';
import { ADMIN_PASSWORD, login } from '#test/support/identity.ts';
import { findLeaks, kubeconfigSecrets, testbedClusterSecrets } from '#test/support/leak-sweep.ts';

const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
const keyBody = Buffer.from('k'.repeat(40) + 'the-random-key-material-of-this-test-key' + 'z'.repeat(60)).toString('base64');
const keyData = Buffer.from(pem('EC PRIVATE KEY', keyBody)).toString('base64');
const kubeconfig = `
users:
- name: someone
  user:
    token: abcdefghijklmnopqrstuvwxyz012345
    client-key-data: ${keyData}
`;

describe('the leak sweep', () => {
  const secrets = kubeconfigSecrets(kubeconfig, 'sample.kubeconfig');

  it('knows every credential of a kubeconfig and names it without its value', () => {
    expect(secrets.map((s) => s.kind)).toEqual(['sample.kubeconfig user "someone" token', 'sample.kubeconfig user "someone" client-key-data']);
    expect(testbedClusterSecrets().length).toBeGreaterThanOrEqual(2);
  });

  it('finds a token raw or base64, and a key as data or as PEM text', () => {
    const token = 'abcdefghijklmnopqrstuvwxyz012345';
    const keyPem = Buffer.from(keyData, 'base64').toString('utf8');
    const found = findLeaks(secrets, [
      { where: 'a', text: `{"t":"${token}"}` },
      { where: 'b', text: Buffer.from(token).toString('base64') },
      { where: 'c', text: JSON.stringify({ key: keyPem }) },
      { where: 'd', text: `client-key-data: ${keyData}` },
      { where: 'e', text: 'nothing here' },
    ]);
    expect(found).toEqual([
      'sample.kubeconfig user "someone" token in a',
      'sample.kubeconfig user "someone" token in b',
      'sample.kubeconfig user "someone" client-key-data in c',
      'sample.kubeconfig user "someone" client-key-data in d',
    ]);
  });

  it('fails a hub that let a remembered secret out, naming where and never printing it', async () => {
    const hub = await startTestHub();
    try {
      const { refresh_token } = await login(hub, 'admin', ADMIN_PASSWORD);
      await hub.assertNoLeaks();
      hub.rememberSecret(refresh_token, 'the refresh token');
      const error = await hub.assertNoLeaks().then(
        () => undefined,
        (err: Error) => err,
      );
      expect(error?.message).toMatch(/^CREDENTIAL LEAK/);
      expect(error?.message).toContain('the refresh token in body of response 1 (POST /api/v1/auth/login -> 200)');
      expect(error?.message).not.toContain(refresh_token);
    } catch (err) {
      await hub.stop().catch(() => undefined);
      throw err;
    }
    // stop runs the same sweep, after cleaning up, and throws.
    await expect(hub.stop()).rejects.toThrow(/the refresh token in body of response 1/);
  });
});
