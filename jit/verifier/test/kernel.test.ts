// Kernel agreement: every corpus program, safe and unsafe, loaded into this
// machine's kernel (as root, so with the privileged loader's rules, which are
// sluice's default mode). The kernel and sluice must accept and reject the same
// programs; a case may document why they differ (`kernelDiffers`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encode } from '../../isa/codec.ts';
import { kernelAvailable, kernelBatch, KernelStatus, type KernelRequest } from '../../../scripts/testkit/kernel.ts';
import { requires } from '../../../scripts/testkit/skip.ts';
import { verify, VerifierError } from '../verify.ts';
import { caseProgram, MAPS, SAFE, UNSAFE, type Case, type MapDef } from './corpus.ts';

function sluiceAccepts(c: Case): { ok: boolean; message: string } {
  const { program, maps } = caseProgram(c);
  try {
    verify(program, maps, { insnLimit: c.insnLimit });
    return { ok: true, message: '' };
  } catch (err) {
    if (!(err instanceof VerifierError)) throw err;
    return { ok: false, message: err.message };
  }
}

if (requires('kernel agreement on the verifier corpus', kernelAvailable())) {
  test('the kernel and sluice accept and reject the same corpus programs', () => {
    // Programs that only stop at the kernel's 1M-instruction limit take the kernel ~10 s each;
    // their rejection ("BPF program is too large") was checked by hand, and they are left out here.
    const cases = [...UNSAFE, ...SAFE].filter((c) => c.insnLimit === undefined);
    const requests: KernelRequest[] = [];
    const programAt: number[] = [];
    for (const c of cases) {
      requests.push({ kind: 'map-reset' });
      for (const m of c.maps ?? []) {
        const d: MapDef = MAPS[m];
        requests.push({ kind: 'map-create', mapType: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, flags: d.flags ?? 0 });
      }
      programAt.push(requests.length);
      requests.push({ kind: 'program', insns: encode(caseProgram(c).insns), packet: new Uint8Array(64) });
    }
    const replies = kernelBatch(requests);
    const disagreements: string[] = [];
    cases.forEach((c, i) => {
      const r = replies[programAt[i]!]!;
      const kernelOk = r.status === KernelStatus.OK || r.status === KernelStatus.RUN_FAILED;
      const kernelLog = Buffer.from(r.c).toString().trim().split('\n').slice(-2).join(' / ');
      const s = sluiceAccepts(c);
      if (kernelOk !== s.ok && !c.kernelDiffers) {
        disagreements.push(`${c.name}: kernel ${kernelOk ? 'accepts' : `rejects (${kernelLog})`}, sluice ${s.ok ? 'accepts' : `rejects (${s.message.split('\n')[0]})`}`);
      }
      if (kernelOk === s.ok && c.kernelDiffers) disagreements.push(`${c.name}: documented as differing, but both ${s.ok ? 'accept' : 'reject'} now`);
    });
    assert.equal(disagreements, []);
  });
}

test.run();
