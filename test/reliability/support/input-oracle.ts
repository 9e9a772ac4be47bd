// What every answer to hostile input must look like, and a tally of what came back per input class.
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';

const USERS: Record<string, string> = { alice: 'alice-secret', bob: 'bob-secret', Carol: 'Carol-password', carol: 'carol-password' };
export const TEMPFAIL = 'Temporary server problem, try again later';

/** True when (user, password) is a real login of the fixture backend. */
export function correct(user: unknown, pass: unknown): boolean {
  return typeof user === 'string' && typeof pass === 'string' && Object.prototype.hasOwnProperty.call(USERS, user) && USERS[user] === pass;
}

/** Cases and answers per input class, printed for docs/reliability.md. */
export const tally: Record<string, { cases: number; answers: Record<string, number> }> = {};

function count(klass: string, answer: string): void {
  const t = (tally[klass] ??= { cases: 0, answers: {} });
  t.cases++;
  t.answers[answer] = (t.answers[answer] ?? 0) + 1;
}

/** A 4xx must be JSON naming an error code and a message a person can read. */
export function assertClientError(res: LightMyRequestResponse): void {
  let body: { error?: unknown; message?: unknown };
  try {
    body = res.json();
  } catch {
    assert.fail(`${res.statusCode} without a JSON body: ${res.body.slice(0, 200)}`);
  }
  assert.equal(typeof body.error, 'string', `${res.statusCode} body names no error code: ${res.body.slice(0, 200)}`);
  assert.match(body.error as string, /^AS_ERR_[A-Z_]+$/, `error code: ${res.body.slice(0, 200)}`);
  assert.ok(typeof body.message === 'string' && body.message.length > 0, `${res.statusCode} body has no message`);
}

/**
 * An auth endpoint's answer: a 4xx with a clear error, a failure (403), or 200 only for the right password
 * (or a mode that needs none). Never a 5xx: nothing here is a real temporary failure.
 */
export function checkAuthAnswer(klass: string, res: LightMyRequestResponse, ok200: boolean, nginx = false): void {
  assert.ok(res.statusCode < 500, `${klass}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (nginx && res.statusCode === 200) {
    const status = String(res.headers['auth-status']);
    assert.notEqual(status, TEMPFAIL, `${klass}: nginx tempfail`);
    if (status === 'OK') assert.ok(ok200, `${klass}: nginx said OK without the right password`);
    else assert.equal(status, 'Invalid login or password');
    count(klass, status === 'OK' ? 'OK' : 'nginx fail');
    return;
  }
  if (res.statusCode === 200) {
    assert.ok(ok200, `${klass}: 200 without the right password`);
  } else if (res.statusCode === 403) {
    assert.equal(res.json().ok, false);
  } else {
    assertClientError(res);
  }
  count(klass, String(res.statusCode));
}

/** Any other endpoint: a 4xx with a clear error or a 2xx that `ok2xx` allows; never a 5xx. */
export function checkApiAnswer(klass: string, res: LightMyRequestResponse, ok2xx: boolean): void {
  assert.ok(res.statusCode < 500, `${klass}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (res.statusCode < 300) assert.ok(ok2xx, `${klass}: ${res.statusCode} was not expected: ${res.body.slice(0, 200)}`);
  else assertClientError(res);
  count(klass, String(res.statusCode));
}
