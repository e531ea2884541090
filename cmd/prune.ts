/**
 * `strata prune [--all] [--filter type=exec.cachemount|type=quarantine|until=DURATION]
 * [--keep-storage SIZE] [--dry-run]`: reclaim space in the store. `--all` also deletes what
 * `fsck --repair` quarantined. `--keep-storage` and `until=` are BuildKit's GC policy (what
 * is least recently used goes first; never what a tag, the last build or a running build
 * needs: core/gc/gc-plan.ts); `--dry-run` lists what would go and why. Build reports beyond
 * `history.maxEntries` (`<root>/config.json`, 50) go too, all but the pinned ones with `--all`,
 * and the meta caches (stat caches, ADD <url> validators, timestamp memos) not read or written
 * for a week, or `until=` (at least a day), all of them with `--all` (core/gc/meta-caches.ts).
 */
import { clearQuarantine } from '../core/fsck/quarantine.js';
import { parseDuration, parseSize, readStoreConfig } from '../core/gc/gc-config.js';
import { ago, type GcPlan, type GcPolicy, storeBytes } from '../core/gc/gc-plan.js';
import { nothingPruned, prune } from '../core/gc/prune.js';
import { humanSize } from '../core/inspect/image-view.js';
import { InvalidInputError } from '../core/oci/errors.js';
import { openStore, parseFlags, ROOT_OPTION } from './common.js';
import type { Io } from './io.js';

export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseFlags('prune', args, {
    ...ROOT_OPTION,
    all: { type: 'boolean', short: 'a' },
    filter: { type: 'string', multiple: true },
    force: { type: 'boolean', short: 'f' },
    'keep-storage': { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new InvalidInputError('prune: takes no arguments');
  const types = new Set<string>();
  const policy: GcPolicy = {};
  for (const f of values.filter ?? []) {
    if (f === 'type=exec.cachemount' || f === 'type=quarantine') types.add(f.slice(5));
    else if (f.startsWith('until=')) policy.untilMs = parseDuration(f.slice(6));
    else
      throw new InvalidInputError(
        `prune: unsupported filter ${JSON.stringify(f)} (supported: type=exec.cachemount, type=quarantine, until=DURATION)`,
      );
  }
  if (values['keep-storage'] !== undefined) policy.keepStorage = parseSize(values['keep-storage']);
  const withPolicy = policy.keepStorage !== undefined || policy.untilMs !== undefined;
  if (withPolicy && (types.size > 0 || values.all))
    throw new InvalidInputError('prune: --keep-storage and until= choose what goes; not with --all or type=');
  const store = await openStore(values.root, io);
  const all = values.all ?? false;
  const dryRun = values['dry-run'] ?? false;
  if (dryRun && (types.size > 0 || all))
    throw new InvalidInputError(
      'prune --dry-run: lists what the store GC would remove; not with --all or type=',
    );
  const r =
    types.size > 0 && !types.has('exec.cachemount')
      ? nothingPruned()
      : await prune(store, {
          all,
          cacheMountsOnly: types.has('exec.cachemount'),
          graceMs: 60_000,
          ...(withPolicy ? { policy } : {}),
          dryRun,
          reports: { maxEntries: (await readStoreConfig(store.root)).maxReports },
          metaCaches: true,
        });
  if (dryRun && r.plan) {
    io.stdout.write(formatDryRun(r.plan));
    return 0;
  }
  const q = all || types.has('quarantine') ? await clearQuarantine(store.root) : { entries: 0, size: 0 };
  io.stdout.write(
    `removed ${r.cacheRecords} cache records, ${r.layers} layers, ${r.blobs} blobs, ${r.cacheMounts} cache mounts, ${q.entries} quarantined entries, ${r.buildReports} build reports, ${r.metaCaches} meta caches\n` +
      `Total reclaimed space: ${humanSize(r.bytes + q.size)}\n`,
  );
  if (r.plan) {
    const now = await storeBytes(store);
    io.stdout.write(`store: ${sizeLine(r.plan.before, now, policy)}\n${keptLine(r.plan)}`);
  }
  if (r.cacheMountsInUse > 0)
    io.stderr.write(`kept ${r.cacheMountsInUse} cache mounts a running build is using\n`);
  return 0;
}

/** `1.20GB before, 0.95GB after (cap 1073741824 bytes: under it)`. */
export function sizeLine(before: number, after: number, policy: GcPolicy): string {
  const cap =
    policy.keepStorage === undefined
      ? ''
      : ` (cap ${humanSize(policy.keepStorage)}, ${policy.keepStorage} bytes: ${after <= policy.keepStorage ? 'under it' : 'still over it: the rest is in use'})`;
  return `${humanSize(before)} before, ${humanSize(after)} after${cap}`;
}

function keptLine(plan: GcPlan): string {
  const k = plan.kept;
  const parts = [
    k.lastBuild > 0 && `${k.lastBuild} records of the last build`,
    k.running > 0 && `${k.running} records a running build may use`,
    k.tagged > 0 && `${k.tagged} records whose layers tagged images use`,
    k.shared > 0 && `${k.shared} records whose layers kept records share`,
    k.recent > 0 && `${k.recent} used within until=${ago(plan.policy.untilMs ?? 0)}`,
  ].filter((x): x is string => typeof x === 'string');
  return parts.length > 0 ? `kept: ${parts.join(', ')}\n` : '';
}

function formatDryRun(plan: GcPlan): string {
  const lines: string[] = [];
  for (const i of plan.remove) {
    const id = i.id.startsWith('sha256:') ? i.id.slice(7, 19) : i.id;
    const what = `${i.also ? ` (+${i.also} of the same result)` : ''}${i.what ? ` ${i.what}` : ''}`;
    lines.push(`would remove ${i.kind} ${id}${what} (${humanSize(i.bytes)}): ${i.reason}`);
  }
  if (plan.remove.length === 0) lines.push('nothing to remove');
  lines.push(`store: ${sizeLine(plan.before, plan.after, plan.policy)} (estimated)`);
  return `${lines.join('\n')}\n${keptLine(plan)}`;
}
