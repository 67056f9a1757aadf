import type { TestHub } from './hub.ts';
import { json } from './http.ts';

export const ADMIN_PASSWORD = 'Adm1n-test-passphrase!';

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Logs in and returns the token pair, failing the test on anything but 200. */
export async function login(hub: TestHub, username: string, password: string, totp_code?: string) {
  const res = await hub.fetch('/api/v1/auth/login', jsonPost({ username, password, totp_code }));
  const body = await json(res);
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${JSON.stringify(body)}`);
  return body as { access_token: string; refresh_token: string; expires_in: number; token_type: string };
}

/** Creates a user through the API as the given admin and returns its id. */
export async function createUser(hub: TestHub, adminToken: string, username: string, role: string, password = `Pa55phrase-long-${username.length}-xyz`) {
  const res = await hub.fetch('/api/v1/users', jsonPost({ username, password, role }, bearer(adminToken)));
  const body = await json(res);
  if (res.status !== 201) throw new Error(`creating ${username} failed: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.id as string, password };
}
