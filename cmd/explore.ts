/**
 * `strata explore IMAGE [-o OUT.html] [--open] [--text] [--json] [--platform P]`: inside an image, layer by
 * layer. IMAGE is a store name or ID, a `docker save` tar, or an OCI layout directory
 * (`docker-archive:FILE`, `oci-layout:DIR`), read without importing. By default it writes
 * one self-contained HTML page (OUT, default explore.html); `--text` prints per-layer
 * `+ ~ -` lines and the wasted space, `--json` the same as data.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { exploreJson, exploreSpec, formatExplore, renderExploreHtml } from '../core/explore/index.js';
import { humanSize } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, platformFlag, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('explore', args, {
    ...ROOT_OPTION,
    output: { type: 'string', short: 'o' },
    open: { type: 'boolean' },
    text: { type: 'boolean' },
    json: { type: 'boolean' },
    platform: { type: 'string' },
  });
  if (positionals.length !== 1) throw new InvalidInputError('explore: name exactly one image');
  const model = await exploreSpec(positionals[0], {
    cwd: io.cwd,
    store: () => openStore(values.root, io),
    platform: platformFlag(values.platform),
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(exploreJson(model), null, 2)}\n`);
    return 0;
  }
  if (values.text) {
    io.stdout.write(formatExplore(model));
    return 0;
  }
  const out = resolve(io.cwd, values.output ?? 'explore.html');
  await writeFile(out, renderExploreHtml(model));
  const w = model.waste;
  io.stderr.write(
    `wrote ${out}: ${model.layers.length} layers, ${model.files.history.size} paths, ${humanSize(w.wastedBytes)} wasted (efficiency ${(w.efficiency * 100).toFixed(1)}%)\n`,
  );
  if (values.open) await openInBrowser(out, io);
  return 0;
}

/** $BROWSER, else xdg-open; not waited for (the browser outlives the command). */
async function openInBrowser(file: string, io: Io): Promise<void> {
  const { spawn } = await import('node:child_process');
  const cmd = io.env.BROWSER || 'xdg-open';
  await new Promise<void>((done) => {
    const child = spawn(cmd, [file], { detached: true, stdio: 'ignore' });
    child.on('error', (err) => {
      io.stderr.write(`explore: could not start ${cmd} (${err.message}); open ${file} yourself\n`);
      done();
    });
    child.on('spawn', () => {
      child.unref();
      done();
    });
  });
}
