/**
 * The explorer's file history on hand-made layers: a file written, overwritten, deleted, a
 * chmod-only change, a hardlink, an opaque directory and a duplicate, with the exact text of
 * the per-layer changes, blame, diff and wasted space.
 */
import { describe, expect, it } from 'vitest';
import {
  blame,
  diffImages,
  type ExploreModel,
  exploreModel,
  formatBlame,
  formatDiff,
  formatExplore,
  type ImageSource,
  type LayerEntry,
  readImageFiles,
} from '../../../core/explore/index.js';
import { type Digest, sha256 } from '../../../core/oci/digest.js';

const f = (path: string, body: string, mode = 0o644, uid = 0): LayerEntry => ({
  path,
  kind: 'file',
  mode,
  uid,
  gid: uid,
  size: body.length,
  digest: sha256(body).slice(7),
});
const d = (path: string, mode = 0o755): LayerEntry => ({ path, kind: 'dir', mode, uid: 0, gid: 0, size: 0 });
const wh = (path: string): LayerEntry => ({ path, kind: 'whiteout', mode: 0, uid: 0, gid: 0, size: 0 });
const opq = (path: string): LayerEntry => ({ path, kind: 'opaque', mode: 0, uid: 0, gid: 0, size: 0 });
const hl = (path: string, to: string): LayerEntry => ({
  path,
  kind: 'hardlink',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  link: to,
});

const LAYERS: [string, LayerEntry[]][] = [
  [
    'COPY app /app',
    [
      d('app'),
      f('app/a.txt', 'aaaa'),
      f('app/b.txt', 'bbbbbbbb'),
      f('app/build.sh', 'echo hi'),
      d('app/cache'),
      f('app/cache/x', 'xx'),
    ],
  ],
  [
    'RUN make',
    [
      d('app'),
      f('app/b.txt', 'new'),
      f('app/build.sh', 'echo hi', 0o755),
      wh('app/a.txt'),
      d('app/cache'),
      opq('app/cache'),
      f('app/cache/y', 'yy'),
      f('app/h1', 'hhh'),
      hl('app/h2', 'app/h1'),
      f('app/copy', 'yy'),
    ],
  ],
];

async function model(name: string, layers: [string, LayerEntry[]][]): Promise<ExploreModel> {
  const diffIds = layers.map(([ins]) => sha256(ins) as Digest);
  const source: ImageSource = {
    name,
    kind: 'store',
    id: sha256(name),
    config: {
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layers.map(([created_by]) => ({ created_by })),
    },
    layers: diffIds.map((diffId) => ({ diffId })),
    async *entries() {},
    close: async () => {},
  };
  const files = await readImageFiles(layers.length, async function* (i) {
    yield* layers[i][1];
  });
  return exploreModel(source, files);
}

describe('image files', () => {
  it('per-layer changes and wasted space', async () => {
    const m = await model('img', LAYERS);
    const text = formatExplore(m).replace(/sha256:[0-9a-f]{64}/g, 'sha256:…');
    expect(text).toBe(
      [
        'img sha256:…: 2 layers, 38B of files, 23B wasted (efficiency 39.5%)',
        '',
        'layer 1 (COPY app /app)',
        '  diffID sha256:…  chainID sha256:…',
        '  + /app',
        '  + /app/a.txt',
        '  + /app/b.txt',
        '  + /app/build.sh',
        '  + /app/cache',
        '  + /app/cache/x',
        '  wasted: 21B',
        '',
        'layer 2 (RUN make)',
        '  diffID sha256:…  chainID sha256:…',
        '  - /app/a.txt',
        '  ~ /app/b.txt (content (8 -> 3 bytes))',
        '  ~ /app/build.sh (mode 0644 -> 0755)',
        '  ! /app/cache',
        '  - /app/cache/x (via /app/cache)',
        '  + /app/cache/y',
        '  + /app/copy',
        '  + /app/h1',
        '  + /app/h2 (hardlink to /app/h1)',
        '  wasted: 2B',
        '',
        'largest waste:',
        '         8B  /app/b.txt: written by layer 1 (COPY app /app), overwritten by layer 2 (RUN make)',
        '         7B  /app/build.sh: written by layer 1 (COPY app /app), overwritten by layer 2 (RUN make)',
        '         4B  /app/a.txt: written by layer 1 (COPY app /app), deleted by layer 2 (RUN make)',
        '         2B  /app/cache/x: written by layer 1 (COPY app /app), deleted by layer 2 (RUN make)',
        '         2B  /app/copy: duplicate of /app/cache/y, written by layer 2 (RUN make)',
        '',
      ].join('\n'),
    );
  });

  it('blame names the last writer and every layer that touched a path', async () => {
    const m = await model('img', LAYERS);
    expect(formatBlame(blame(m, '/app/build.sh'))).toBe(
      [
        '/app/build.sh: last written by layer 2: RUN make',
        '  added    layer 1: COPY app /app',
        '  modified layer 2: RUN make (mode 0644 -> 0755)',
        '',
      ].join('\n'),
    );
    expect(formatBlame(blame(m, 'app/cache/x'))).toBe(
      [
        '/app/cache/x: last written by layer 1: COPY app /app (deleted since)',
        '  added    layer 1: COPY app /app',
        '  deleted  layer 2: RUN make (via /app/cache)',
        '',
      ].join('\n'),
    );
    expect(() => blame(m, '/nope')).toThrow(/no layer of img ever held \/nope/);
  });

  it('diff shares the first layer by chainID and names the step of every change', async () => {
    const a = await model('a', LAYERS.slice(0, 1));
    const b = await model('b', LAYERS);
    expect(formatDiff(diffImages(a, b))).toBe(
      [
        'a (1 layers) -> b (2 layers): 1 shared by chainID',
        '- /app/a.txt  [layer 2 (RUN make)]',
        '~ /app/b.txt (content (8 -> 3 bytes))  [layer 2 (RUN make)]',
        '~ /app/build.sh (mode 0644 -> 0755)  [layer 2 (RUN make)]',
        '- /app/cache/x  [layer 2 (RUN make)]',
        '+ /app/cache/y  [layer 2 (RUN make)]',
        '+ /app/copy  [layer 2 (RUN make)]',
        '+ /app/h1  [layer 2 (RUN make)]',
        '+ /app/h2  [layer 2 (RUN make)]',
        '4 added, 2 removed, 2 changed',
        '',
      ].join('\n'),
    );
  });
});
