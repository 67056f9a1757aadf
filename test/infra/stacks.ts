import type { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { clusterhubStacks, type ClusterhubProps } from '#infra/stack/clusterhub.ts';

type TemplateJson = {
  Resources: Record<string, unknown>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  [section: string]: unknown;
};

/**
 * The two stacks (infra/stack/clusterhub.ts) as the one template they were split from: the resources of
 * both, the service stack's imports of the data stack's exports replaced by the exported value (a `Ref` or
 * `Fn::GetAtt` of the data stack's resource), and the outputs of both but the exports. The stack tests
 * assert on it what they asserted on the single stack; which stack holds what is asserted apart (stack.test.ts).
 */
export function mergedTemplate(data: Stack, service: Stack): Template {
  const dataJson = Template.fromStack(data).toJSON() as TemplateJson;
  const serviceJson = Template.fromStack(service).toJSON() as TemplateJson;
  const exported = new Map<string, unknown>();
  const outputs: TemplateJson['Outputs'] = {};
  for (const [id, output] of Object.entries({ ...dataJson.Outputs, ...serviceJson.Outputs })) {
    if (output.Export) exported.set(JSON.stringify(output.Export.Name), output.Value);
    else outputs[id] = output;
  }
  const resolveImports = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolveImports);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'Fn::ImportValue') {
      const found = exported.get(JSON.stringify(entries[0]![1]));
      if (found === undefined) throw new Error(`the service stack imports ${JSON.stringify(entries[0]![1])}, which the data stack does not export`);
      return found;
    }
    return Object.fromEntries(entries.map(([key, v]) => [key, resolveImports(v)]));
  };
  const duplicate = Object.keys(serviceJson.Resources).filter((id) => id in dataJson.Resources);
  if (duplicate.length) throw new Error(`both stacks have ${duplicate.join(', ')}`);
  return Template.fromJSON({
    ...dataJson,
    Resources: { ...dataJson.Resources, ...(resolveImports(serviceJson.Resources) as Record<string, unknown>) },
    Outputs: outputs,
  });
}

/** Both stacks in `app` under the name `id`, and their merged template. */
export function clusterhub(app: App, id: string, props: ClusterhubProps = {}) {
  const stacks = clusterhubStacks(app, id, props);
  return { ...stacks, template: mergedTemplate(stacks.data, stacks.service) };
}
