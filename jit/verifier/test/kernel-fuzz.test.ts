// Kernel agreement on the differential fuzzer's programs (jit/fuzz: random ALU and
// jump bodies in the kernel's XDP frame): whatever the kernel decides about each,
// sluice must decide the same.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../isa/codec.ts';
import { generate } from '../../fuzz/generate.ts';
import { frame } from '../../fuzz/frame.ts';
import { programTypeOf } from '../../object/prog-types.ts';
import type { ProgramSpec } from '../../object/spec.ts';
import { kernelAvailable, kernelRun } from '../../../scripts/testkit/kernel.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { verify, VerifierError } from '../verify.ts';

if (requires('kernel agreement on fuzz programs', kernelAvailable())) {
  test('400 random ALU/jump programs (ISA v4 included): the kernel and sluice agree on each', () => {
    const programs = Array.from({ length: 400 }, (_, i) => frame(generate(3000 + i), 'kernel'));
    const results = kernelRun(programs.map((insns) => ({ insns: encode(insns), packet: new Uint8Array(128) })));
    const disagreements: string[] = [];
    let kernelAccepted = 0;
    programs.forEach((insns, i) => {
      const spec: ProgramSpec = {
        name: `fuzz${3000 + i}`, section: 'xdp', sectionOffset: 0, type: programTypeOf('xdp')!, instructions: insns,
        origins: insns.map(() => ({ section: 'xdp', offset: 0 })), lines: insns.map(() => undefined), funcInfo: [],
      };
      let ok = true, why = '';
      try { verify(spec, []); } catch (err) {
        if (!(err instanceof VerifierError)) throw err;
        ok = false; why = err.message.split('\n')[0]!;
      }
      const k = results[i]!.loaded;
      if (k) kernelAccepted++;
      if (k !== ok) disagreements.push(`seed ${3000 + i}: kernel ${k ? 'accepts' : `rejects (${results[i]!.log?.trim().split('\n').slice(-2).join(' / ')})`}, sluice ${ok ? 'accepts' : `rejects (${why})`}`);
    });
    assert.equal(disagreements.slice(0, 5), []);
    assert.ok(kernelAccepted > 300, `the kernel accepted only ${kernelAccepted}`);
  });
}

test.run();
