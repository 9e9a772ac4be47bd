// What nauthilus_policy writes to: the attribute definitions of the running policy config and one request's facts.
import type { PolicyFacts } from './evaluate';
import type { AttributeDefinition } from './types';

export interface PolicySink {
  definitions: Map<string, AttributeDefinition>;
  facts: PolicyFacts;
}
