// Unit tests of the lab's per-deployment names (labs/clusterlab/names.ts): K restores of one set at
// once each get their own nodes in the one lab API, named from their stack names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { labNodeName, labRunName, MAX_RUN } from '../../../labs/clusterlab/names.ts';

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

describe('clusterlab names: labRunName', () => {
  it('keeps a stack name that already is a short lowercase DNS label', () => {
    assert.equal(labRunName('wfe2e-ab12cd-restored-1'), 'wfe2e-ab12cd-restored-1');
    assert.equal(labRunName('hs-sno-5f3a9c1e'), 'hs-sno-5f3a9c1e');
  });

  it("gives Heat's other spellings a valid, distinct name: capitals, _ and . get a hash of the whole name", () => {
    const names = ['Job_1', 'job-1', 'job.1', 'JOB-1', 'job_1'].map(labRunName);
    assert.equal(new Set(names).size, names.length, names.join(' '));
    for (const name of names) {
      assert.match(name, DNS_LABEL);
      assert.ok(name.length <= MAX_RUN, name);
    }
    assert.match(labRunName('Job_1'), /^job-1-[0-9a-f]{8}$/);
    assert.equal(labRunName('Job_1'), labRunName('Job_1'), 'the same stack, the same name');
  });

  it('shortens long stack names, two that share a long prefix stay apart', () => {
    const long = `hs-sno-bmh-tests-${'x'.repeat(60)}`;
    const a = labRunName(`${long}-1`);
    const b = labRunName(`${long}-2`);
    assert.notEqual(a, b);
    for (const name of [a, b]) {
      assert.ok(name.length <= MAX_RUN, `${name}: ${name.length}`);
      assert.match(name, DNS_LABEL);
    }
    // a node name and a label value of it stay within Kubernetes' limits
    assert.ok(labNodeName(a, 'master0').length <= 63);
  });

  it('names made only of characters a label cannot take still give a name; an empty one is refused', () => {
    assert.match(labRunName('___'), /^[0-9a-f]{8}$/);
    assert.throws(() => labRunName(''), /stack name is required/);
  });
});

describe('clusterlab names: labNodeName', () => {
  it('is the run, then the instance', () => {
    assert.equal(labNodeName('wfe2e-ab-restored-2', 'master0'), 'wfe2e-ab-restored-2-master0');
  });
});
