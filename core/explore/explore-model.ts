/**
 * The explorer's model of one image: its layers (with the instruction, Dockerfile line and
 * cache story when this store built it, else the image history's `created_by`), the file
 * history of every path (image-files.ts) and the wasted space. Shared by the page, the text
 * forms, blame and diff.
 */
import type { Store } from '../../store/store.js';
import { type BuildReport, loadReport } from '../exec/build-report.js';
import { chainIds, type Digest } from '../oci/digest.js';
import { type ImageFiles, readImageFiles } from './image-files.js';
import type { ImageSource } from './image-source.js';
import { type WastedSpace, wastedSpace } from './wasted-space.js';

export interface CacheStory {
  hit: boolean;
  /** `[2/4] COPY . .` */
  step: string;
  reason: string;
  details: string[];
}

export interface ExploreLayer {
  index: number;
  instruction?: string;
  /** Dockerfile line of the step (build report only). */
  line?: number;
  instructionSource?: 'build' | 'history';
  diffId: Digest;
  chainId: Digest;
  blobDigest?: Digest;
  size?: number;
  cache?: CacheStory;
  added: number;
  modified: number;
  deleted: number;
  wastedBytes: number;
}

export interface ExploreModel {
  name: string;
  kind: ImageSource['kind'];
  id: Digest;
  /** The Dockerfile of the build that made it, when known. */
  dockerfile?: string;
  layers: ExploreLayer[];
  files: ImageFiles;
  waste: WastedSpace;
}

export async function exploreImage(source: ImageSource, store?: Store): Promise<ExploreModel> {
  const files = await readImageFiles(source.layers.length, (i) => source.entries(i));
  const report = store ? await loadReport(store, source.id).catch(() => undefined) : undefined;
  return exploreModel(source, files, report);
}

/** Pure: the model from a source's metadata, its file history and an optional build report. */
export function exploreModel(source: ImageSource, files: ImageFiles, report?: BuildReport): ExploreModel {
  const chain = chainIds(source.layers.map((l) => l.diffId));
  const history = (source.config.history ?? []).filter((h) => h.empty_layer !== true);
  const steps = new Map<Digest, BuildReport['steps'][number]>();
  for (const s of report?.steps ?? []) if (s.chainId && !steps.has(s.chainId)) steps.set(s.chainId, s);
  const waste = wastedSpace(files);
  const counts = source.layers.map(() => ({ added: 0, modified: 0, deleted: 0 }));
  for (const events of files.history.values())
    for (const ev of events) if (ev.status !== 'opaque') counts[ev.layer][ev.status]++;
  const layers = source.layers.map((l, i): ExploreLayer => {
    const step = steps.get(chain[i]);
    const created = history[i]?.created_by;
    const row: ExploreLayer = {
      index: i,
      diffId: l.diffId,
      chainId: chain[i],
      blobDigest: l.blobDigest,
      size: l.size,
      ...counts[i],
      wastedBytes: waste.byLayer[i] ?? 0,
    };
    if (step) {
      row.instruction = step.instruction;
      row.line = step.line;
      row.instructionSource = 'build';
      row.cache = { hit: step.hit, step: step.name, reason: step.reason, details: step.details };
    } else if (created) {
      row.instruction = created;
      row.instructionSource = 'history';
    }
    return row;
  });
  return {
    name: source.name,
    kind: source.kind,
    id: source.id,
    dockerfile: report?.file,
    layers,
    files,
    waste,
  };
}

/** `layer 3 (line 4: COPY app /app)`: how text forms name a layer. */
export function layerLabel(l: ExploreLayer | undefined, index: number): string {
  if (l === undefined) return `layer ${index + 1}`;
  const ins = l.instruction === undefined ? undefined : clip(l.instruction, 60);
  const what = ins === undefined ? '' : l.line === undefined ? ins : `line ${l.line}: ${ins}`;
  return what === '' ? `layer ${index + 1}` : `layer ${index + 1} (${what})`;
}

/** `s` cut to `n` characters, an ellipsis marking the cut (long RUN lines in one-line forms). */
export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}\u2026` : s;
}
