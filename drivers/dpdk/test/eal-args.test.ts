// The --dpdk string: split like a shell, a unique --file-prefix added when the
// user gave none, the user's own prefix kept (no root or DPDK needed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prepareEalArgs, splitArgs } from '../eal-args.ts';

test('splits on blanks, groups quotes, keeps escaped blanks', () => {
  assert.equal(splitArgs('  --no-huge   -m 256 --vdev="net_pcap0,rx_pcap=/tmp/a b.pcap" \'x y\' a\\ b'),
    ['--no-huge', '-m', '256', '--vdev=net_pcap0,rx_pcap=/tmp/a b.pcap', 'x y', 'a b']);
  assert.equal(splitArgs(''), []);
  assert.equal(splitArgs('""'), ['']);
  assert.throws(() => splitArgs('--vdev="net_null0'), /unterminated/);
});

test('adds a unique --file-prefix when there is none', () => {
  const a = prepareEalArgs(['--no-huge']);
  const b = prepareEalArgs(['--no-huge']);
  assert.is(a.args[0], 'sluice', 'a program name comes first');
  assert.is(a.args.at(-1), `--file-prefix=${a.filePrefix}`);
  assert.ok(a.filePrefix !== b.filePrefix, 'two runs never share a prefix');
  assert.match(a.filePrefix, new RegExp(`^sluice-${process.pid}-`));
});

test('keeps the user\'s prefix, in either spelling; refuses path characters', () => {
  assert.equal(prepareEalArgs(['--file-prefix=mine', '-l', '0']), { args: ['sluice', '--file-prefix=mine', '-l', '0'], filePrefix: 'mine' });
  assert.is(prepareEalArgs(['--file-prefix', 'other']).filePrefix, 'other');
  assert.throws(() => prepareEalArgs(['--file-prefix=../etc']), /file-prefix/);
});

test.run();
