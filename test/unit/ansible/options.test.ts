// Option specs: one spec gives the JSON Schema, the Ansible-style conversions, the secrets and the docs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import {
  type ArgsOf,
  argumentSchema,
  coerceScalars,
  documentOptions,
  invocationArgs,
  noLogValues,
  type Options,
  parseDictString,
  resolveAliases,
  withDefaults,
} from '../../../lib/ansible/options.ts';

const OPTIONS: Options = {
  name: { type: 'str', description: 'The name.', required: true, aliases: ['display_name'] },
  count: { type: 'int', description: 'How many.', default: 3, minimum: 1, maximum: 10 },
  ratio: { type: 'float', description: 'A ratio.' },
  wait: { type: 'bool', description: 'Wait or not.', default: true },
  state: { type: 'str', description: 'State.', choices: ['present', 'absent'], default: 'present' },
  tags: { type: 'list', elements: 'str', description: 'Tags.', default: ['a', 'b'] },
  password: { type: 'str', description: 'A secret.', no_log: true },
  auth: {
    type: 'dict',
    description: 'Credentials.',
    suboptions: {
      username: { type: 'str', description: 'User.', required: true },
      secret: { type: 'str', description: 'Secret.', no_log: true },
    },
  },
  ports: {
    type: 'list',
    elements: 'dict',
    description: 'Ports.',
    suboptions: { number: { type: 'int', description: 'Port number.', required: true } },
  },
  anything: { type: 'raw', description: 'Any value.' },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validator = ajv.compile(argumentSchema(OPTIONS));
const valid = (args: Record<string, unknown>) => validator(args) === true;

// ------------------------------------------------------------------------------------------------
// argumentSchema

test('argumentSchema is a closed object with the required options listed', () => {
  const schema = argumentSchema(OPTIONS);
  assert.equal(schema.type, 'object');
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual(schema.required, ['name']);
  assert.deepEqual(Object.keys(schema.properties as object).sort(), Object.keys(OPTIONS).sort());
});

test('argumentSchema maps option types, choices and bounds to JSON Schema', () => {
  const properties = argumentSchema(OPTIONS).properties as Record<string, Record<string, unknown>>;
  assert.equal(properties.name?.type, 'string');
  assert.deepEqual(properties.count, { type: 'integer', minimum: 1, maximum: 10 });
  assert.equal(properties.ratio?.type, 'number');
  assert.equal(properties.wait?.type, 'boolean');
  assert.deepEqual(properties.state, { type: 'string', enum: ['present', 'absent'] });
  assert.deepEqual(properties.tags, { type: 'array', items: { type: 'string' } });
  assert.deepEqual(properties.anything, {});
});

test('the schema accepts good arguments and rejects unknown, missing, mistyped and out-of-range ones', () => {
  assert.ok(valid({ name: 'x' }));
  assert.ok(valid({ name: 'x', count: 10, ratio: 0.5, wait: false, state: 'absent', tags: [], anything: [1, 'a'] }));
  assert.ok(!valid({}), 'name is required');
  assert.ok(!valid({ name: 'x', colour: 'red' }), 'unknown option');
  assert.ok(!valid({ name: 'x', count: '3' }), 'the schema itself is strict: strings are converted before');
  assert.ok(!valid({ name: 'x', count: 1.5 }));
  assert.ok(!valid({ name: 'x', count: 11 }));
  assert.ok(!valid({ name: 'x', count: 0 }));
  assert.ok(!valid({ name: 'x', state: 'gone' }));
  assert.ok(!valid({ name: 'x', tags: [1] }), 'list elements are typed');
  assert.ok(!valid({ name: 'x', tags: 'a' }));
});

test('dict suboptions are a closed nested object with their own required keys', () => {
  const properties = argumentSchema(OPTIONS).properties as Record<string, Record<string, unknown>>;
  assert.equal(properties.auth?.type, 'object');
  assert.equal(properties.auth?.additionalProperties, false);
  assert.deepEqual(properties.auth?.required, ['username']);
  assert.ok(valid({ name: 'x', auth: { username: 'u', secret: 's' } }));
  assert.ok(!valid({ name: 'x', auth: { secret: 's' } }), 'missing required suboption');
  assert.ok(!valid({ name: 'x', auth: { username: 'u', extra: 1 } }), 'unknown suboption');
});

test('list elements with suboptions are each a closed object', () => {
  const properties = argumentSchema(OPTIONS).properties as Record<string, Record<string, unknown>>;
  const items = properties.ports?.items as Record<string, unknown>;
  assert.equal(items.type, 'object');
  assert.equal(items.additionalProperties, false);
  assert.deepEqual(items.required, ['number']);
  assert.ok(valid({ name: 'x', ports: [{ number: 22 }, { number: 80 }] }));
  assert.ok(!valid({ name: 'x', ports: [{ number: 22 }, {}] }));
  assert.ok(!valid({ name: 'x', ports: [{ number: 22, proto: 'tcp' }] }));
  assert.ok(!valid({ name: 'x', ports: ['22'] }));
});

test('an option schema extra is merged over the generated one', () => {
  const schema = argumentSchema({ cloud: { type: 'raw', description: 'c', schema: { type: ['string', 'object'] } } });
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  assert.deepEqual(properties.cloud, { type: ['string', 'object'] });
});

// ------------------------------------------------------------------------------------------------
// coerceScalars

test('coerceScalars converts Ansible-style bool strings of bool options', () => {
  for (const text of ['yes', 'on', '1', 'true', 'y', 't', 'YES', ' True ']) {
    assert.equal(coerceScalars(OPTIONS, { wait: text }).wait, true, text);
  }
  for (const text of ['no', 'off', '0', 'false', 'n', 'f', 'No', 'FALSE']) {
    assert.equal(coerceScalars(OPTIONS, { wait: text }).wait, false, text);
  }
  assert.equal(coerceScalars(OPTIONS, { wait: 1 }).wait, true);
  assert.equal(coerceScalars(OPTIONS, { wait: 0 }).wait, false);
  // Not a boolean: left for the schema to reject.
  assert.equal(coerceScalars(OPTIONS, { wait: 'maybe' }).wait, 'maybe');
  assert.equal(coerceScalars(OPTIONS, { wait: 2 }).wait, 2);
});

test('coerceScalars converts integer and float strings of int and float options', () => {
  assert.equal(coerceScalars(OPTIONS, { count: '1200' }).count, 1200);
  assert.equal(coerceScalars(OPTIONS, { count: ' -5 ' }).count, -5);
  assert.equal(coerceScalars(OPTIONS, { count: '1.5' }).count, '1.5');
  assert.equal(coerceScalars(OPTIONS, { count: 'ten' }).count, 'ten');
  assert.equal(coerceScalars(OPTIONS, { ratio: '0.25' }).ratio, 0.25);
  assert.equal(coerceScalars(OPTIONS, { ratio: '3' }).ratio, 3);
  assert.equal(coerceScalars(OPTIONS, { ratio: '' }).ratio, '');
  assert.equal(coerceScalars(OPTIONS, { ratio: 'abc' }).ratio, 'abc');
});

test('coerceScalars turns numbers given for str options into strings and leaves other options alone', () => {
  const out = coerceScalars(OPTIONS, { name: 42, state: 'present', tags: ['1'], anything: '1', other: 'yes' });
  assert.equal(out.name, '42');
  assert.deepEqual(out.tags, ['1']);
  assert.equal(out.anything, '1');
  assert.equal(out.other, 'yes');
  // A string option keeps "yes" as text.
  assert.equal(coerceScalars(OPTIONS, { name: 'yes' }).name, 'yes');
});

test('coerceScalars does not modify its input', () => {
  const args = { count: '5', wait: 'no' };
  const out = coerceScalars(OPTIONS, args);
  assert.deepEqual(args, { count: '5', wait: 'no' });
  assert.deepEqual(out, { count: 5, wait: false });
});

// Ansible's check_type_list, then the elements converted (module_utils/common/validation.py).
test('coerceScalars: a list option takes a string split on commas, as Ansible does, and a number as one element', () => {
  assert.deepEqual(coerceScalars(OPTIONS, { tags: 'Xa3_kQ9b' }).tags, ['Xa3_kQ9b']);
  assert.deepEqual(coerceScalars(OPTIONS, { tags: 'a,b' }).tags, ['a', 'b']);
  assert.deepEqual(coerceScalars(OPTIONS, { tags: 'a, b,' }).tags, ['a', ' b', ''], 'nothing trimmed or dropped, as in Ansible');
  assert.deepEqual(coerceScalars(OPTIONS, { tags: 7 }).tags, ['7']);
  assert.deepEqual(coerceScalars(OPTIONS, { tags: ['x,y'] }).tags, ['x,y'], 'a list stays as it is');
  assert.deepEqual(coerceScalars(OPTIONS, { tags: [1, 'z'] }).tags, ['1', 'z'], 'elements: str turns numbers into text');
  assert.equal(coerceScalars(OPTIONS, { tags: null }).tags, null);
  assert.ok(!('tags' in coerceScalars(OPTIONS, {})), 'an option not given stays absent');
  const numbers: Options = {
    ids: { type: 'list', elements: 'int', description: 'Ids.' },
    flags: { type: 'list', elements: 'bool', description: 'F.' },
  };
  assert.deepEqual(coerceScalars(numbers, { ids: '1,2,x' }).ids, [1, 2, 'x']);
  assert.deepEqual(coerceScalars(numbers, { flags: 'yes,off' }).flags, [true, false]);
  const raw: Options = { steps: { type: 'list', elements: 'raw', description: 'Steps.' } };
  assert.deepEqual(coerceScalars(raw, { steps: 'wait_api,uncordon' }).steps, ['wait_api', 'uncordon']);
  // elements: dict take a key=value string each, as check_type_dict reads it
  assert.deepEqual(coerceScalars(OPTIONS, { ports: 'number=1' }).ports, [{ number: '1' }]);
  assert.ok(valid(coerceScalars(OPTIONS, { name: 'x', tags: 'a,b' })));
});

test('coerced arguments then pass the strict schema', () => {
  assert.ok(valid(coerceScalars(OPTIONS, { name: 'x', count: '7', wait: 'yes', ratio: '1.5' })));
});

// ------------------------------------------------------------------------------------------------
// withDefaults, resolveAliases

test('withDefaults fills only options not given, with copies of the defaults', () => {
  const first = withDefaults(OPTIONS, { name: 'x', count: 5 });
  assert.equal(first.count, 5);
  assert.equal(first.wait, true);
  assert.equal(first.state, 'present');
  assert.deepEqual(first.tags, ['a', 'b']);
  assert.ok(!('password' in first), 'options without default stay absent');
  assert.notEqual(first.tags, OPTIONS.tags?.default, 'a default is a copy, not the spec object');
  (first.tags as string[]).push('mutated');
  const second = withDefaults(OPTIONS, { name: 'y' });
  assert.deepEqual(second.tags, ['a', 'b'], 'mutating one result must not change the next one');
  assert.deepEqual(OPTIONS.tags?.default, ['a', 'b']);
});

test('withDefaults keeps a false or zero that was given', () => {
  const out = withDefaults(OPTIONS, { name: 'x', wait: false, count: 0 });
  assert.equal(out.wait, false);
  assert.equal(out.count, 0);
});

test('resolveAliases renames an alias to its option, and does not modify the input', () => {
  const args = { display_name: 'web', count: 1 };
  const out = resolveAliases(OPTIONS, args);
  assert.deepEqual(out, { name: 'web', count: 1 });
  assert.deepEqual(args, { display_name: 'web', count: 1 });
});

test('resolveAliases keeps the option when both the option and its alias are given', () => {
  const out = resolveAliases(OPTIONS, { name: 'real', display_name: 'alias' });
  assert.equal(out.name, 'real');
});

// ------------------------------------------------------------------------------------------------
// noLogValues, invocationArgs

test('noLogValues returns the values of no_log options and no_log suboptions of dicts', () => {
  const values = noLogValues(OPTIONS, {
    name: 'visible',
    password: 'top-secret',
    auth: { username: 'bob', secret: 'inner-secret' },
  });
  assert.deepEqual(values.sort(), ['inner-secret', 'top-secret']);
  assert.deepEqual(noLogValues(OPTIONS, { name: 'visible', password: null }), []);
  assert.deepEqual(noLogValues(OPTIONS, {}), []);
});

test('noLogValues asks secretValues for options that only hold secrets', () => {
  const options: Options = {
    cloud: {
      type: 'raw',
      description: 'c',
      secretValues: (value) => [(value as { auth: { password: string } }).auth.password],
    },
  };
  assert.deepEqual(noLogValues(options, { cloud: { auth: { username: 'u', password: 'cloud-pass' } } }), ['cloud-pass']);
  assert.deepEqual(noLogValues(options, {}), [], 'not called for an absent value');
});

test('invocationArgs hides no_log values, in dicts too, and shows everything else', () => {
  const args = { name: 'x', password: 'top-secret', auth: { username: 'bob', secret: 'inner-secret' }, count: 3, extra: 'kept' };
  const out = invocationArgs(OPTIONS, args);
  assert.deepEqual(out, {
    name: 'x',
    password: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER',
    auth: { username: 'bob', secret: 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' },
    count: 3,
    extra: 'kept',
  });
  assert.equal(args.password, 'top-secret', 'the input is not modified');
  // A no_log option that is null stays null: nothing to hide.
  assert.equal(invocationArgs(OPTIONS, { password: null }).password, null);
});

// ------------------------------------------------------------------------------------------------
// documentOptions

test('documentOptions gives ansible-doc option entries', () => {
  const doc = documentOptions(OPTIONS) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(doc), Object.keys(OPTIONS));
  assert.deepEqual(doc.name, { description: ['The name.'], type: 'str', required: true, aliases: ['display_name'] });
  assert.deepEqual(doc.count, { description: ['How many.'], type: 'int', default: 3 });
  assert.deepEqual(doc.state, { description: ['State.'], type: 'str', choices: ['present', 'absent'], default: 'present' });
  assert.deepEqual(doc.tags, { description: ['Tags.'], type: 'list', elements: 'str', default: ['a', 'b'] });
  assert.equal(doc.wait?.default, true);
  assert.ok(!('required' in (doc.count ?? {})));
});

test('documentOptions marks secrets and documents suboptions recursively', () => {
  const doc = documentOptions(OPTIONS) as Record<string, Record<string, unknown>>;
  const password = doc.password?.description as string[];
  assert.equal(password[0], 'A secret.');
  assert.equal(password.length, 2);
  assert.match(password[1] ?? '', /secret/i);
  const auth = doc.auth?.suboptions as Record<string, Record<string, unknown>>;
  assert.deepEqual(auth.username, { description: ['User.'], type: 'str', required: true });
  assert.equal((auth.secret?.description as string[]).length, 2);
  const ports = doc.ports as Record<string, unknown>;
  assert.equal(ports.elements, 'dict');
  assert.deepEqual(Object.keys(ports.suboptions as object), ['number']);
});

test('documentOptions copies a list description instead of sharing it', () => {
  const options: Options = { p: { type: 'str', description: ['one', 'two'], no_log: true } };
  const doc = documentOptions(options) as Record<string, { description: string[] }>;
  assert.equal(doc.p?.description.length, 3);
  assert.deepEqual(options.p?.description, ['one', 'two']);
});

test('no_log suboptions of list elements are secrets too', () => {
  const options: Options = {
    users: {
      type: 'list',
      elements: 'dict',
      description: 'Users.',
      suboptions: { name: { type: 'str', description: 'n' }, password: { type: 'str', description: 'p', no_log: true } },
    },
  };
  const args = { users: [{ name: 'alice', password: 'alice-secret' }] };
  assert.deepEqual(noLogValues(options, args), ['alice-secret']);
  assert.ok(!JSON.stringify(invocationArgs(options, args)).includes('alice-secret'));
});

// ------------------------------------------------------------------------------------------------
// dict options given as strings, and typed arguments

test('parseDictString reads JSON objects and key=value pairs as AnsibleModule does', () => {
  assert.deepEqual(parseDictString('{"instances": {"a": {"uuid": "u"}}}'), { instances: { a: { uuid: 'u' } } });
  assert.deepEqual(parseDictString('  {"a": 1}  '), { a: 1 });
  assert.deepEqual(parseDictString('a=1, b=two'), { a: '1', b: 'two' });
  assert.deepEqual(parseDictString('a=1 b=2'), { a: '1', b: '2' });
  assert.deepEqual(parseDictString(`msg="hello world" path='/a b' eq=x=y`), { msg: 'hello world', path: '/a b', eq: 'x=y' });
  assert.deepEqual(parseDictString('a=x\\,y'), { a: 'x,y' });
  for (const bad of ['{not json', '[1, 2]', 'just words', '{"a": 1', '']) assert.equal(parseDictString(bad), undefined, bad);
  assert.equal(parseDictString('a=1 stray'), undefined, 'a field without = is not a dict');
});

test('a dict option given as a string is converted before validation; an unreadable one still fails validation', () => {
  const options: Options = { data: { type: 'dict', description: 'd' }, name: { type: 'str', description: 'n' } };
  assert.deepEqual(coerceScalars(options, { data: '{"instances": {}}' }).data, { instances: {} });
  assert.deepEqual(coerceScalars(options, { data: 'k=v' }).data, { k: 'v' });
  assert.equal(coerceScalars(options, { name: '{"a": 1}' }).name, '{"a": 1}', 'a str option keeps its text');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(argumentSchema(options));
  assert.equal(validate(coerceScalars(options, { data: 'not a dict' })), false);
});

test("ArgsOf types run()'s arguments from the spec: required and defaulted options are always there", () => {
  const spec = {
    name: { type: 'str', description: 'n', required: true },
    timeout: { type: 'int', description: 't', default: 60 },
    concurrency: { type: 'int', description: 'c' },
    state: { type: 'str', description: 's', choices: ['present', 'absent'], default: 'present' },
    tags: { type: 'list', elements: 'str', description: 'tags' },
    data: { type: 'dict', description: 'd', required: true },
    flag: { type: 'bool', description: 'f', default: false },
  } as const satisfies Options;
  type Args = ArgsOf<typeof spec>;
  // Compile-time checks: each line fails `npm run typecheck` if the inference regresses.
  const args: Args = { name: 'x', timeout: 1, state: 'absent', data: {}, flag: true };
  const timeout: number = args.timeout;
  const concurrency: number | undefined = args.concurrency;
  const state: 'present' | 'absent' = args.state;
  const tags: string[] | undefined = args.tags;
  const flag: boolean = args.flag;
  // @ts-expect-error a required option cannot be left out
  const missing: Args = { timeout: 1, state: 'absent', data: {}, flag: true };
  // @ts-expect-error a value outside the choices is not an argument
  const wrong: Args = { name: 'x', timeout: 1, state: 'gone', data: {}, flag: true };
  assert.deepEqual(
    [timeout, concurrency, state, tags, flag, missing.timeout, wrong.name],
    [1, undefined, 'absent', undefined, true, 1, 'x'],
  );
});

test("every shipped module's argument schema is valid JSON Schema (the protocol compiles it without that check)", async () => {
  const { MODULES } = await import('../../../modules/registry.ts');
  const strict = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
  for (const [name, load] of Object.entries(MODULES)) {
    const schema = argumentSchema((await load()).options);
    assert.equal(strict.validateSchema(schema), true, `${name}: ${strict.errorsText(strict.errors)}`);
    assert.doesNotThrow(() => strict.compile(schema), `${name}: unknown keywords or types`);
  }
  // And the check can fail: a mistyped schema keyword value is caught.
  assert.equal(strict.validateSchema({ type: 'object', required: 'name' }), false);
});
