/** The one error map's person-facing side: oidc-provider's and our errors → the kind a page explains. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorKind } from '../../src/http/errors.ts';

test('oidc-provider errors a person can meet map to a kind with a plain explanation', () => {
  const cases: Array<[Parameters<typeof errorKind>[0], string]> = [
    [{ status: 400, code: 'invalid_request', message: 'interaction session id cookie not found' }, 'cookies_missing'],
    [{ status: 400, code: 'invalid_request', message: 'interaction session not found' }, 'interaction_expired'],
    [{ status: 400, code: 'invalid_request', message: 'authorization request has expired' }, 'interaction_expired'],
    [{ status: 400, code: 'invalid_client', message: 'client is invalid' }, 'unknown_client'],
    [{ status: 400, code: 'invalid_redirect_uri', message: "redirect_uri did not match any of the client's registered redirect_uris" }, 'redirect_uri'],
    [{ status: 403, code: 'access_denied' }, 'access_denied'],
    [{ status: 429, code: 'rate_limited' }, 'too_many_attempts'],
    [{ status: 403, code: 'csrf_failed' }, 'form_expired'],
    [{ status: 404, code: 'not_found' }, 'not_found'],
    [{ status: 503, code: 'temporarily_unavailable' }, 'unavailable'],
    [{ status: 500, code: 'server_error' }, 'server'],
    [{ status: 400, code: 'invalid_request', message: 'missing required parameter(s) (scope)' }, 'bad_request'],
    [{ status: 400, code: 'start_again', message: 'the two-factor settings of this account changed since this sign-in began; start the sign-in again' }, 'start_again'],
    // Our own error's code decides, not its text: the same words from elsewhere are a bad request.
    [{ status: 400, code: 'invalid_request', message: 'no second factor is pending; start the sign-in again' }, 'bad_request'],
  ];
  for (const [facts, kind] of cases) assert.equal(errorKind(facts), kind, JSON.stringify(facts));
});
