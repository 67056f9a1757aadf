/**
 * A small evaluator of IAM statements for DynamoDB table requests: enough of IAM's rules to ask
 * "would this function's role allow this request?" of the statements the stack synthesizes, and
 * to enforce them on the requests the hub really makes (test/infra/table-access.test.ts).
 *
 * What it implements, as IAM does: an explicit Deny wins over any Allow; without an Allow the
 * answer is no; a statement applies when its action and resource match and every condition
 * holds. Conditions: StringEquals/StringLike (with ForAllValues:, ForAnyValue: and IfExists) on
 * dynamodb:LeadingKeys, dynamodb:Attributes and dynamodb:ReturnValues. ForAllValues holds for a
 * request without the key; ForAnyValue does not. Any other operator or key throws, so a policy
 * this evaluator does not understand is never judged as allowed.
 */

export interface TableRequest {
  /** `dynamodb:GetItem`, `dynamodb:Query`, ... */
  action: string;
  /** The index a Query reads, if any: then the request is on the index's ARN. */
  index?: string;
  /** The partition keys the request names: the table's, or the index's for a Query on an index. */
  leadingKeys: string[];
  /** Top-level attributes the request names (keys included), when it names any. */
  attributes?: string[];
  returnValues?: string;
}

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

export type Decision = 'allowed' | 'denied' | 'not allowed';

/** What a statement's resource is: the table, one of its indexes (or all), its stream, or something else. */
function resourceKinds(resource: unknown): string[] {
  return [resource].flat().map((r) => {
    const text = typeof r === 'string' ? r : JSON.stringify(r);
    const index = /\/index\/([A-Za-z0-9_.*-]+)/.exec(text);
    if (index) return `index:${index[1]}`;
    if (/StreamArn|\/stream\//.test(text)) return 'stream';
    if (/table\/[^/"]+"?$|"Table[0-9A-F]*","Arn"/.test(text) || /:table\/[^/]+$/.test(text)) return 'table';
    return `other:${text}`;
  });
}

const like = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  ).test(value);

function contextValues(request: TableRequest, key: string): string[] | undefined {
  switch (key) {
    case 'dynamodb:LeadingKeys':
      return request.leadingKeys;
    case 'dynamodb:Attributes':
      return request.attributes;
    case 'dynamodb:ReturnValues':
      return request.returnValues === undefined ? undefined : [request.returnValues];
    default:
      throw new Error(`the evaluator does not know the condition key ${key}`);
  }
}

function conditionHolds(operator: string, key: string, expected: string[], request: TableRequest): boolean {
  const match = /^(?:(ForAllValues|ForAnyValue):)?(StringEquals|StringLike)(IfExists)?$/.exec(operator);
  if (!match) throw new Error(`the evaluator does not know the condition operator ${operator}`);
  const [, qualifier, test, ifExists] = match;
  const compare = (value: string) => expected.some((e) => (test === 'StringLike' ? like(e, value) : e === value));
  const values = contextValues(request, key);
  if (qualifier === 'ForAllValues') return (values ?? []).every(compare);
  if (qualifier === 'ForAnyValue') return (values ?? []).some(compare);
  if (values === undefined) return Boolean(ifExists);
  if (values.length !== 1) throw new Error(`${key} has several values: use ForAllValues or ForAnyValue`);
  return compare(values[0]!);
}

function applies(statement: Statement, request: TableRequest): boolean {
  const actions = [statement.Action].flat();
  if (!actions.some((a) => a === request.action || a === 'dynamodb:*' || a === '*')) return false;
  const wanted = request.index ? `index:${request.index}` : 'table';
  if (!resourceKinds(statement.Resource).some((k) => k === wanted || (request.index && k === 'index:*'))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, [expected].flat(), request)),
  );
}

/** IAM's answer for one request under a role's statements. */
export function decide(statements: Statement[], request: TableRequest): Decision {
  const matching = statements.filter((s) => applies(s, request));
  if (matching.some((s) => s.Effect === 'Deny')) return 'denied';
  return matching.some((s) => s.Effect === 'Allow') ? 'allowed' : 'not allowed';
}

export const isAllowed = (statements: Statement[], request: TableRequest) => decide(statements, request) === 'allowed';
