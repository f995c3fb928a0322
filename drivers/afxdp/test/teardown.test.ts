// Nothing stays on the interfaces: while the driver runs, `ip link` shows the
// steering program (xdp) on each interface and the PASS TAPs; after SIGTERM
// (clean stop) and also after SIGKILL (no cleanup at all: the program is
// attached through a BPF link owned by the process) it shows neither.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { requires } from '../../../scripts/testkit/skip.ts';
import { afxdpRequirements, example, Lab, sleep } from '../lab.ts';

const attached = (links: string): number => (links.match(/prog\/xdp/g) ?? []).length;

if (requires('AF_XDP teardown', ...afxdpRequirements())) {
  test('a clean stop and a killed process both leave no XDP program and no TAP', async () => {
    const lab = Lab.up('td');
    try {
      const served = await lab.serve(example('xdp_pass'), ['cli0', 'srv0']);
      const during = lab.links();
      assert.is(attached(during), 2, `one steering program per interface while running:\n${during}`);
      assert.match(during, /p-cli0/);
      assert.match(during, /p-srv0/);
      await served.stop();
      const after = lab.links();
      assert.is(attached(after), 0, after);
      assert.not.match(after, /p-cli0|p-srv0/);

      const killed = await lab.serve(example('xdp_pass'), ['cli0', 'srv0']);
      assert.is(attached(lab.links()), 2, 'attaches again after a clean stop');
      killed.kill();
      let left = lab.links();
      for (let i = 0; i < 40 && (attached(left) > 0 || /p-cli0/.test(left)); i++) { await sleep(50); left = lab.links(); }
      assert.is(attached(left), 0, `after SIGKILL:\n${left}`);
      assert.not.match(left, /p-cli0|p-srv0/);
    } finally {
      lab.down();
    }
  });

  test('an interface that already has an XDP program is refused by name, and the other is left clean', async () => {
    const lab = Lab.up('tb');
    try {
      lab.exec(lab.sluice, 'ip', ['link', 'set', 'dev', 'srv0', 'xdpdrv', 'obj', example('xdp_pass'), 'sec', 'xdp']);
      let message = '';
      try {
        const served = await lab.serve(example('xdp_pass'), ['cli0', 'srv0']);
        await served.stop();
      } catch (err) {
        message = (err as Error).message;
      }
      assert.match(message, /srv0: attaching the steering program .*another XDP program is attached/);
      const links = lab.links();
      assert.is(attached(links), 1, `only the program put there by hand stays:\n${links}`);
      assert.match(links, /srv0[^\n]*\n[^\n]*\n\s*prog\/xdp/);
      assert.not.match(links, /p-cli0|p-srv0/);
    } finally {
      lab.down();
    }
  });
}

test.run();
