import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { openSuccessor, sealSuccessor } from '../../../src/tokens/index.ts';

const token = () => randomBytes(32).toString('base64url');

test('the successor opens with the parent token it was sealed for', async () => {
  const [parent, child] = [token(), token()];
  const sealed = await sealSuccessor(child, parent);
  assert.equal(await openSuccessor(sealed, parent), child);
});

test('the seal holds nothing readable and opens with no other token', async () => {
  const [parent, child] = [token(), token()];
  const sealed = await sealSuccessor(child, parent);
  assert.ok(!sealed.includes(child), 'the child value is not in the sealed record');
  assert.equal(await openSuccessor(sealed, token()), undefined);
  assert.equal(await openSuccessor(sealed, `${parent}x`), undefined);
});

test('a tampered seal does not open', async () => {
  const parent = token();
  const sealed = await sealSuccessor(token(), parent);
  const parts = sealed.split('.');
  parts[3] = `${parts[3]!.slice(0, -2)}AA`;
  assert.equal(await openSuccessor(parts.join('.'), parent), undefined);
});
