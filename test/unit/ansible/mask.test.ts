// The Masker: every secret it knows is replaced in every string of a value, keys included.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MASK, Masker } from '../../../lib/ansible/mask.ts';

function maskerWith(...secrets: unknown[]): Masker {
  const masker = new Masker();
  for (const secret of secrets) masker.add(secret);
  return masker;
}

test('a registered secret is replaced by the mask wherever it occurs in a string', () => {
  const masker = maskerWith('hunter2-pass');
  assert.equal(masker.maskString('password=hunter2-pass; again hunter2-pass.'), `password=${MASK}; again ${MASK}.`);
  assert.equal(masker.maskString('nothing secret here'), 'nothing secret here');
});

test('mask() replaces secrets in nested values and in keys, and leaves the input untouched', () => {
  const masker = maskerWith('s3cr3t');
  const input = {
    msg: 'login with s3cr3t failed',
    list: ['a', 'xs3cr3tx', { deep: ['s3cr3t'] }],
    s3cr3t: 'key was secret',
    nested: { 'header-s3cr3t': 1 },
    count: 7,
    flag: true,
    none: null,
  };
  const before = structuredClone(input);
  const out = masker.mask(input);
  assert.deepEqual(out, {
    msg: `login with ${MASK} failed`,
    list: ['a', `x${MASK}x`, { deep: [MASK] }],
    [MASK]: 'key was secret',
    nested: { [`header-${MASK}`]: 1 },
    count: 7,
    flag: true,
    none: null,
  });
  assert.ok(!JSON.stringify(out).includes('s3cr3t'));
  assert.deepEqual(input, before, 'mask() must return a copy');
  assert.notEqual(out, input);
  assert.notEqual(out.list, input.list);
});

test('a secret that contains another one is masked whole (longest first)', () => {
  // Registered short-first on purpose: the order of add() must not matter.
  const masker = maskerWith('abc', 'abcdefgh');
  assert.equal(masker.maskString('x abcdefgh y abc z'), `x ${MASK} y ${MASK} z`);
  const other = maskerWith('abcdefgh', 'abc');
  assert.equal(other.maskString('x abcdefgh y abc z'), `x ${MASK} y ${MASK} z`);
});

test('the URL-encoded form of a secret is masked too', () => {
  const secret = 'p@ss w/rd&1';
  const masker = maskerWith(secret);
  const encoded = encodeURIComponent(secret);
  assert.notEqual(encoded, secret);
  assert.equal(masker.maskString(`https://host/?password=${encoded}&x=1`), `https://host/?password=${MASK}&x=1`);
  assert.equal(masker.maskString(`raw ${secret}`), `raw ${MASK}`);
});

test('strings shorter than 3 characters and non-string values other than numbers are ignored', () => {
  const masker = new Masker();
  masker.add('');
  masker.add('a');
  masker.add('ab');
  masker.add(null);
  masker.add(undefined);
  masker.add(true);
  masker.add({ password: 'abcdef' });
  assert.equal(masker.size, 0);
  assert.equal(masker.maskString('a ab abc true'), 'a ab abc true');
  masker.add('abc');
  assert.equal(masker.size, 1);
  assert.equal(masker.maskString('a ab abc'), `a ab ${MASK}`);
});

test('a number is registered as its decimal text and masked in strings', () => {
  const masker = new Masker();
  masker.add(987654);
  assert.equal(masker.size, 1);
  assert.equal(masker.maskString('pin is 987654'), `pin is ${MASK}`);
  // Short numbers fall under the same 3-character rule.
  masker.add(42);
  assert.equal(masker.size, 1);
  assert.equal(masker.maskString('42'), '42');
});

test('adding the same secret twice registers it once', () => {
  const masker = maskerWith('repeated', 'repeated');
  assert.equal(masker.size, 1);
});

test('addDeep registers every string and number of nested dicts and lists, not the keys', () => {
  const masker = new Masker();
  masker.addDeep({ password: 'first-secret', list: ['second-secret', { pin: 314159 }], flag: true, short: 'xy' });
  assert.equal(masker.size, 3);
  assert.equal(masker.maskString('first-secret second-secret 314159 password pin xy'), `${MASK} ${MASK} ${MASK} password pin xy`);
});

test('a number value equal to a secret is masked in a result object', () => {
  // Ansible's remove_values replaces ints and floats whose text is a no_log value.
  const masker = maskerWith(987654);
  const out = masker.mask({ pin: 987654 });
  assert.ok(!JSON.stringify(out).includes('987654'), JSON.stringify(out));
});
