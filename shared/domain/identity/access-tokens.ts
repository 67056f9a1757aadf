import { errors, jwtVerify, SignJWT, decodeProtectedHeader } from 'jose';
import { AuthenticationError } from '#shared/domain/errors.ts';
import type { Clock } from '#shared/ports/clock.ts';
import { ACCESS_TOKEN_SECONDS, SIGNING_ALGORITHM, type KeyringStore, type VerificationKeys } from './keyring.ts';
import { VerifiedTokens } from './verified-tokens.ts';

export const ISSUER = 'clusterhub';
export const AUDIENCE = 'clusterhub-api';
// Declared beside the keys, whose retirement depends on it.
export { ACCESS_TOKEN_SECONDS };

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

/**
 * Short-lived JWT access tokens. Verification pins the algorithm, checks issuer,
 * audience and a required expiry, and accepts only keys of our keyring by id that are not retired,
 * so `alg: none`, HS256 with a public key, or a foreign key are all refused.
 * Issuing signs with the private keyring; verifying reads only the published
 * public keys, so a function that merely checks tokens cannot mint them. A token verified once is
 * remembered until its expiry while its key stays published (verified-tokens.ts).
 */
export class AccessTokens {
  private readonly verified = new VerifiedTokens();

  constructor(
    private readonly signingKeys: KeyringStore,
    private readonly verificationKeys: VerificationKeys,
    private readonly clock: Clock,
  ) {}

  async issue(claims: AccessClaims): Promise<string> {
    const [key] = (await this.signingKeys.current()).signing;
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key!.kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.userId)
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_SECONDS)
      .sign(key!.privateKey);
  }

  async verify(token: string): Promise<AccessClaims> {
    // Built only when refused: an error captures a stack trace, which a warm request need not pay for.
    const invalid = () => new AuthenticationError('The access token is invalid or expired.', 'INVALID_TOKEN');
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw invalid();
    }
    if (!kid) throw invalid();
    const key = await this.verificationKeys.find(kid);
    const cacheKey = VerifiedTokens.keyOf(token);
    if (!key) {
      this.verified.forget(cacheKey);
      throw invalid();
    }
    const seen = this.verified.get(cacheKey, Math.floor(this.clock.now().getTime() / 1000));
    if (seen && seen.kid === kid && seen.key === key) return { ...seen.claims };
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['exp', 'sub', 'sid'],
        currentDate: this.clock.now(),
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') throw invalid();
      const claims = { userId: payload.sub, sessionId: payload.sid };
      this.verified.set(cacheKey, { claims, kid, key, exp: payload.exp });
      return { ...claims };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AuthenticationError('The access token has expired; refresh it.', 'TOKEN_EXPIRED');
      throw invalid();
    }
  }
}
