/**
 * Label selectors as Kubernetes evaluates them: a Service's map of labels, or a LabelSelector's
 * matchLabels and matchExpressions (NetworkPolicy, PodDisruptionBudget). An empty LabelSelector
 * selects every pod of the namespace; an absent or empty Service selector selects none.
 */

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] | null }> | null;
}

export type LabelMatcher = (labels: Record<string, string>) => boolean;

/** A LabelSelector's matcher; `{}` matches everything, a missing selector (null) nothing. */
export function selectorMatcher(selector: LabelSelector | null | undefined): LabelMatcher {
  if (!selector || typeof selector !== 'object') return () => false;
  const pairs = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  return (labels) => {
    for (const [key, value] of pairs) if (labels[key] !== value) return false;
    for (const { key = '', operator, values } of expressions) {
      const has = Object.hasOwn(labels, key);
      const listed = has && (values ?? []).includes(labels[key]!);
      if (operator === 'In' && !listed) return false;
      if (operator === 'NotIn' && listed) return false;
      if (operator === 'Exists' && !has) return false;
      if (operator === 'DoesNotExist' && has) return false;
      // An operator the API does not know selects nothing, rather than everything.
      if (operator !== 'In' && operator !== 'NotIn' && operator !== 'Exists' && operator !== 'DoesNotExist') return false;
    }
    return true;
  };
}

/** A Service's selector (a plain map): empty or absent selects nothing, as Kubernetes does. */
export function serviceSelectorPairs(selector: unknown): Array<[string, string]> {
  if (!selector || typeof selector !== 'object') return [];
  return Object.entries(selector as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
}
