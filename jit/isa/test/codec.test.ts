import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode } from '../codec.ts';
import { DecodeError } from '../../errors.ts';
import { imm64, lddw } from '../instruction.ts';

const bytes = (hex: string) => Uint8Array.from(hex.trim().split(/\s+/), (h) => parseInt(h, 16));

test('decodes fields little-endian and re-encodes byte for byte', () => {
  // r2 = *(u32 *)(r1 + 4); if r3 > r2 goto -2; exit
  const raw = bytes('61 12 04 00 00 00 00 00  2d 23 fe ff 00 00 00 00  95 00 00 00 00 00 00 00');
  const prog = decode(raw);
  assert.equal(prog.length, 3);
  assert.equal(prog[0], { opcode: 0x61, dst: 2, src: 1, off: 4, imm: 0 });
  assert.equal(prog[1]!.off, -2);
  assert.equal(encode(prog), raw);
});

test('lddw is one instruction two slots wide carrying 64 bits', () => {
  const raw = bytes('18 01 00 00 89 67 45 23 00 00 00 00 01 ef cd ab  95 00 00 00 00 00 00 00');
  const prog = decode(raw);
  assert.equal(prog.length, 2);
  assert.equal(imm64(prog[0]!), 0xabcdef0123456789n);
  assert.equal(encode(prog), raw);
  assert.equal(imm64(lddw(3, -1n)), 0xffffffffffffffffn);
});

const invalid: Array<[string, string, RegExp]> = [
  ['unknown opcode', 'ff 00 00 00 00 00 00 00', /unknown/],
  ['register above r10', 'b7 0b 00 00 00 00 00 00', /r11 does not exist/],
  ['lddw without second slot', '18 01 00 00 01 00 00 00', /second slot/],
  ['lddw second slot not zero', '18 01 00 00 01 00 00 00 00 01 00 00 00 00 00 00', /must be zero/],
  ['exit with reserved field', '95 00 01 00 00 00 00 00', /reserved/],
  ['mov imm with src', 'b7 21 00 00 00 00 00 00', /src register/],
  ['bad byte swap width', 'd4 01 00 00 08 00 00 00', /8 bits/],
  ['partial instruction', '95 00 00', /whole number/],
  ['sign-extending dw load', '99 12 00 00 00 00 00 00', /sign-extending/],
  ['call in jmp32', '86 00 00 00 01 00 00 00', /JMP32/],
];
for (const [name, hex, re] of invalid) {
  test(`rejects ${name} with the pc and bytes`, () => {
    const raw = bytes(`b7 00 00 00 00 00 00 00 ${hex}`);
    try {
      decode(raw);
      assert.unreachable('decoded');
    } catch (err) {
      assert.instance(err, DecodeError);
      assert.match((err as Error).message, /^pc 1: /);
      assert.match((err as Error).message, re);
    }
  });
}

test.run();
