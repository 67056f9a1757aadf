/**
 * Structured JSON logs, one line per event, on stdout (CloudWatch reads them
 * as they are). Fields whose names suggest a credential are masked before they
 * are written, so a careless caller cannot leak one.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

const SENSITIVE = /pass(word)?|secret|token|authorization|api[-_]?key|kubeconfig|credential|cookie|private/i;
const levels: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** Masks values of sensitive-looking keys, at any depth. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SENSITIVE.test(k) ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

/** A logger writing JSON lines to `write` (stdout by default). */
export function createLogger(base: LogFields = {}, options: { level?: Level; write?: (line: string) => void } = {}): Logger {
  const min = levels[options.level ?? (process.env.LOG_LEVEL as Level | undefined) ?? 'info'] ?? levels.info;
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const emit = (level: Level, message: string, fields?: LogFields) => {
    if (levels[level] < min) return;
    const record = { time: new Date().toISOString(), level, message, ...(redact({ ...base, ...fields }) as LogFields) };
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  };
}
