import { describe, expect, it } from 'vitest';
import { tokenExpiry } from '#shared/domain/health/certificates.ts';

/** A JWT-shaped token with this payload (the radar reads the payload alone; the signature is not its business). */
const jwt = (payload: unknown) => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2lnbmF0dXJl`;

describe('tokenExpiry', () => {
  it('dates a token by its exp claim', () => {
    expect(tokenExpiry(jwt({ sub: 'system:serviceaccount:kube-system:hub', exp: 1_893_456_000 }))).toEqual({ expiresAt: '2030-01-01T00:00:00.000Z' });
    expect(tokenExpiry(jwt({ exp: 253_402_300_799 }))).toEqual({ expiresAt: '9999-12-31T23:59:59.000Z' });
  });

  it('says nothing of a token that is no JWT or carries no exp', () => {
    expect(tokenExpiry('an-opaque-bearer-token')).toBeUndefined();
    expect(tokenExpiry('a.b!.c')).toBeUndefined();
    expect(tokenExpiry(jwt({ sub: 'someone' }))).toBeUndefined();
  });

  it('calls an exp that names no time from 1970 to 9999 invalid, with the reason, instead of throwing or dating it absurdly', () => {
    for (const exp of [1e20, 8e12, 253_402_300_800, -1, -1e13, '1893456000', null, true]) {
      const read = tokenExpiry(jwt({ exp }));
      expect(read, JSON.stringify(exp)).toEqual({ invalid: expect.stringMatching(/exp claim .* expiry is unknown/) });
    }
  });

  it('never puts the token in the reason', () => {
    const token = jwt({ exp: 1e20, secret: 'do-not-echo' });
    const read = tokenExpiry(token) as { invalid: string };
    expect(read.invalid).not.toContain('do-not-echo');
    expect(read.invalid).not.toContain(token.split('.')[1]);
  });
});
