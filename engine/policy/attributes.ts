// The attributes a Nauthilus 3.0 policy rule may test: the built-in ones (server/policy/registry/builtin.go, v3.0.1),
// those generated from the config (Lua attribute sources, attribute_exports, request_headers) and those
// registry scripts declare with nauthilus_policy.register_attribute.
import { luaSourceSegment, type AttributeDefinition, type AttributeType, type PolicyConfig, type PolicyStage } from './types';

const def = (id: string, type: AttributeType, stage: PolicyStage): AttributeDefinition => ({ id, type, stage, source: 'builtin' });

const REQUEST: Array<[string, AttributeType]> = [
  ['request.operation', 'string'], ['request.time.now', 'datetime'], ['request.client.ip', 'ip'], ['request.client.ip.present', 'bool'],
  ['request.client.ip.trusted', 'bool'], ['request.client.ip.source', 'string'], ['request.caller.ip', 'ip'], ['request.caller.ip.present', 'bool'],
  ['request.caller.ip.source', 'string'], ['request.local.ip', 'ip'], ['request.local.ip.present', 'bool'], ['request.local.port', 'string'],
  ['request.local.port.present', 'bool'], ['request.protocol', 'string'], ['request.transport.kind', 'string'], ['request.listener.name', 'string'],
  ['request.connection.tls', 'bool'], ['request.initiator.kind', 'string'], ['request.http.route', 'string'], ['request.grpc.method', 'string'],
  ['request.idp.client_id', 'string'], ['request.saml.sp_entity_id', 'string'],
];

const PRE_AUTH: Array<[string, AttributeType]> = [
  ['auth.brute_force.triggered', 'bool'], ['auth.brute_force.repeating', 'bool'], ['auth.brute_force.error', 'bool'],
  ['auth.brute_force.bucket.matched_count', 'number'], ['auth.brute_force.bucket.triggered_count', 'number'],
  ['auth.tls.secure', 'bool'],
  ['auth.relay_domain.present', 'bool'], ['auth.relay_domain.known', 'bool'], ['auth.relay_domain.value', 'string'],
  ['auth.relay_domain.rejected', 'bool'], ['auth.relay_domain.static_match', 'bool'], ['auth.relay_domain.soft_allowlisted', 'bool'],
  ['auth.relay_domain.configured_count', 'number'], ['auth.relay_domain.error', 'bool'],
  ['auth.rbl.threshold_reached', 'bool'], ['auth.rbl.score', 'number'], ['auth.rbl.threshold', 'number'], ['auth.rbl.matched_count', 'number'],
  ['auth.rbl.matched_lists', 'string_list'], ['auth.rbl.list_count', 'number'], ['auth.rbl.ip_allowlisted', 'bool'], ['auth.rbl.error', 'bool'],
];

const BACKEND: Array<[string, AttributeType]> = [
  ['auth.authenticated', 'bool'], ['auth.identity.found', 'bool'], ['auth.master_user.active', 'bool'], ['auth.backend.tempfail', 'bool'],
  ['auth.backend.empty_username', 'bool'], ['auth.backend.empty_password', 'bool'],
];

/** Every attribute the config alone defines (registry scripts add theirs). */
export function configAttributes(policy: Pick<PolicyConfig, 'environmentSources' | 'subjectSources' | 'attributeExports' | 'requestHeaders'>): Map<string, AttributeDefinition> {
  const out = new Map<string, AttributeDefinition>();
  const add = (d: AttributeDefinition) => out.set(d.id, d);
  for (const [id, t] of REQUEST) add(def(id, t, 'pre_auth'));
  for (const [id, t] of PRE_AUTH) add(def(id, t, 'pre_auth'));
  for (const [id, t] of BACKEND) add(def(id, t, 'auth_backend'));
  add({ ...def('auth.account_provider.completed', 'bool', 'account_provider'), operations: ['list_accounts'] });
  add({ ...def('auth.account_provider.tempfail', 'bool', 'account_provider'), operations: ['list_accounts'] });
  for (const name of policy.environmentSources) {
    const p = `auth.lua.environment.${luaSourceSegment(name)}`;
    // compiler/checks.go generatedLuaAttribute: the script's status message is a public detail of the trigger
    add({ ...def(`${p}.triggered`, 'bool', 'pre_auth'), details: { status_message: 'string' } });
    add(def(`${p}.abort`, 'bool', 'pre_auth'));
    add(def(`${p}.error`, 'bool', 'pre_auth'));
  }
  for (const name of policy.subjectSources) {
    const p = `auth.lua.subject.${luaSourceSegment(name)}`;
    add({ ...def(`${p}.rejected`, 'bool', 'subject_analysis'), details: { status_message: 'string' } });
    add(def(`${p}.error`, 'bool', 'subject_analysis'));
  }
  // compiler/subject_attribute_registry.go: a bool "the backend returned it", the value as a detail
  for (const x of policy.attributeExports) {
    add({ ...def(x.id, 'bool', 'auth_backend'), details: { attribute: 'string', count: 'number', [x.type === 'string_list' ? 'values' : 'value']: x.type } });
  }
  for (const h of policy.requestHeaders) add(def(h.attribute, 'string', 'pre_auth'));
  return out;
}
