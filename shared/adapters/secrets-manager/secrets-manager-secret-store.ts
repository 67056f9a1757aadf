import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretNotFoundError, type SecretStore } from '#shared/ports/secret-store.ts';
import { assertSecretName } from './secret-name.ts';

/**
 * The production secret store. The ref is the secret's ARN, which stays the
 * same across PutSecretValue: a value rewritten under the same name keeps its
 * ref. A cluster's replaced credential does not take that path: it is stored
 * under a new name, so the cluster record is rewritten to the new ref
 * (replaceCredential in shared/domain/clusters/credentials.ts). Errors name
 * the secret, never its value.
 */
export class SecretsManagerSecretStore implements SecretStore {
  /** `kmsKeyId` encrypts new secrets with a customer key; without it AWS uses aws/secretsmanager. */
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly kmsKeyId?: string,
  ) {}

  /** Creates the secret, or adds a new current version when it exists; returns its ARN. */
  async put(name: string, value: string): Promise<string> {
    assertSecretName(name);
    // Two attempts cover a secret deleted between a failed create and the put.
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await this.client.send(
          new CreateSecretCommand({ Name: name, SecretString: value, ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}) }),
        );
        return arnOf(created.ARN, name);
      } catch (error) {
        if (!(error instanceof ResourceExistsException)) throw failure('create', name, error, value);
      }
      try {
        const updated = await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
        return arnOf(updated.ARN, name);
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException) || attempt > 0) throw failure('update', name, error, value);
      }
    }
  }

  /** CreateSecret alone: false when a secret of that name exists, whose value stays untouched. */
  async create(name: string, value: string): Promise<boolean> {
    assertSecretName(name);
    try {
      await this.client.send(new CreateSecretCommand({ Name: name, SecretString: value, ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}) }));
      return true;
    } catch (error) {
      if (error instanceof ResourceExistsException) return false;
      throw failure('create', name, error, value);
    }
  }

  /** Reads the current value by ARN or name; throws SecretNotFoundError when there is none. */
  async get(ref: string): Promise<string> {
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: ref }));
      if (out.SecretString !== undefined) return out.SecretString;
      // Written by another tool as binary: the port deals in text.
      if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('utf8');
      throw new SecretNotFoundError(ref);
    } catch (error) {
      if (error instanceof SecretNotFoundError || isGone(error)) throw new SecretNotFoundError(ref);
      throw failure('read', ref, error);
    }
  }

  /** Deletes at once, without the recovery window, so the name can be reused; a missing secret is fine. */
  async delete(ref: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: ref, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (isGone(error)) return;
      throw failure('delete', ref, error);
    }
  }
}

function arnOf(arn: string | undefined, name: string): string {
  if (!arn) throw new Error(`Secrets Manager returned no ARN for secret ${JSON.stringify(name)}`);
  return arn;
}

/** Missing, or already scheduled for deletion by someone else (AWS then answers InvalidRequestException). */
function isGone(error: unknown): boolean {
  if (error instanceof ResourceNotFoundException) return true;
  return error instanceof Error && error.name === 'InvalidRequestException' && /marked for deletion|scheduled for deletion/i.test(error.message);
}

/**
 * Adds which operation on which secret failed. The AWS error stays as `cause`
 * (for retry decisions and logs) unless its text somehow carries the value, in
 * which case only a scrubbed copy of its message survives.
 */
function failure(operation: string, id: string, error: unknown, value?: string): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const leaks = value !== undefined && value.length > 0 && String(original.stack ?? original.message).includes(value);
  const detail = leaks ? original.message.replaceAll(value, '[redacted]') : original.message;
  return new Error(`Secrets Manager could not ${operation} secret ${JSON.stringify(id)}: ${original.name}: ${detail}`, leaks ? undefined : { cause: original });
}
