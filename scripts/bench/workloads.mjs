/**
 * The benchmark's workloads: each makes its build context under a directory once, names the
 * phases it is measured in, and knows how to make "one change" for a rebuild. Every builder
 * builds the very same context and Dockerfile; bases are named `strata-bench-<pid>/...` in every
 * builder so a real `busybox` or `node` image in Docker or buildah is never touched.
 *
 * Phases: `cold` (nothing cached but the base image), `noop` (rebuild, nothing changed),
 * `change` (rebuild after `change(dir, i)`), `export` (image to a loadable tar).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './strata-cli.mjs';

/**
 * Image names are this run's own (`strata-bench-<pid>/...`): two benches sharing one Docker
 * engine must not build from, or `docker rmi`, each other's images.
 */
export const BENCH_NS = `strata-bench-${process.pid}`;
export const BUSYBOX = `${BENCH_NS}/busybox:latest`;
export const NODE = `${BENCH_NS}/node:bookworm`;

/** Writes `count` files of `size` random bytes, `perDir` to a directory, under `dir`. */
export function manyFiles(dir, count, size, perDir) {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${String(Math.floor(i / perDir)).padStart(4, '0')}`);
    if (i % perDir === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${String(i).padStart(6, '0')}.bin`), randomBytes(size));
  }
}

/** A 5,000-line Dockerfile: 50 stages of ARG/ENV/LABEL/RUN (with continuations)/COPY. */
export function generatedDockerfile(lines = 5000) {
  const out = ['# syntax=docker/dockerfile:1', 'ARG BASE=busybox'];
  let stage = 0;
  while (out.length < lines) {
    out.push(`FROM \${BASE} AS s${stage}`, `ARG V${stage}=value-${stage}`, 'WORKDIR /work');
    for (let j = 0; j < 24 && out.length < lines - 4; j++) {
      out.push(`ENV K${stage}_${j}="\${V${stage}}-${j}" P${j}=\${K${stage}_${j}:-fallback}`);
      out.push(`LABEL org.example.s${stage}.n${j}="label ${j} of stage ${stage}"`);
      out.push(`RUN echo "stage ${stage} step ${j}" \\`, `    && echo \${K${stage}_${j}} > /work/f${j}`);
    }
    if (stage > 0) out.push(`COPY --from=s${stage - 1} /work /prev`);
    stage++;
  }
  return `${out.slice(0, lines).join('\n')}\n`;
}

/**
 * @typedef {{ id: string, title: string, base: string[], phases: string[], coldRuns?: number,
 *   walkFloor?: boolean, scale?: boolean, strataOnly?: boolean,
 *   dockerfile: string, prepare(dir: string): void, change?(dir: string, i: number): void }} Workload
 * walkFloor: also time a bare walk of the context (find, Node); scale: only with --scale;
 * strataOnly: no peer builds it.
 */

/** @type {Workload[]} */
export const WORKLOADS = [
  {
    id: 'seed-app',
    title: 'seed app (Dockerfile.good, npm ci from the registry)',
    base: ['node'],
    phases: ['cold', 'noop', 'change'],
    dockerfile: '',
    prepare(dir) {
      cpSync(join(REPO, 'samples/node-app'), dir, { recursive: true });
      // The seed's FROM line names node:22-alpine; every builder gets the same offline stand-in.
      const df = readFileSync(join(dir, 'Dockerfile.good'), 'utf8').replace(/^FROM .*$/m, `FROM ${NODE}`);
      writeFileSync(join(dir, 'Dockerfile.bench'), df);
      this.dockerfile = 'Dockerfile.bench';
    },
    change(dir, i) {
      appendFileSync(join(dir, 'index.js'), `// change ${i}\n`);
    },
  },
  {
    id: 'files-10k',
    title: '10,000 files (4 KiB each, 40 MB) copied',
    base: ['busybox'],
    phases: ['cold', 'noop', 'change'],
    walkFloor: true,
    dockerfile: 'Dockerfile',
    prepare(dir) {
      manyFiles(join(dir, 'data'), 10_000, 4096, 100);
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY data /data\n`);
    },
    change(dir, i) {
      appendFileSync(join(dir, 'data/d0050/f005000.bin'), `change ${i}\n`);
    },
  },
  {
    id: 'files-48x8m',
    title: '48 files of 8 MiB (384 MiB) copied',
    base: ['busybox'],
    phases: ['cold', 'noop', 'change', 'export'],
    dockerfile: 'Dockerfile',
    prepare(dir) {
      manyFiles(join(dir, 'data'), 48, 8 * 2 ** 20, 48);
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY data /data\n`);
    },
    change(dir, i) {
      appendFileSync(join(dir, 'data/d0000/f000024.bin'), `change ${i}\n`);
    },
  },
  {
    id: 'run-11',
    title: '11 RUN steps on busybox',
    base: ['busybox'],
    phases: ['cold', 'noop'],
    dockerfile: 'Dockerfile',
    prepare(dir) {
      mkdirSync(dir, { recursive: true });
      const runs = Array.from({ length: 11 }, (_, i) => `RUN echo step ${i + 1} > /step-${i + 1}.txt`);
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\n${runs.join('\n')}\n`);
    },
  },
  {
    id: 'ctx-100k',
    title: '100,000-file context (16 B each), COPY . /ctx',
    base: ['busybox'],
    phases: ['cold', 'noop', 'change'],
    // A cold build of 100,000 files is slow in every builder; one run says enough.
    coldRuns: 1,
    walkFloor: true,
    dockerfile: 'Dockerfile',
    prepare(dir) {
      manyFiles(join(dir, 'tree'), 100_000, 16, 1000);
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY . /ctx\n`);
    },
    change(dir, i) {
      appendFileSync(join(dir, 'tree/d0050/f050000.bin'), `change ${i}\n`);
    },
  },
  {
    // Issue 20: a 1,000,000-file context completes and stays under 1 GB. strata only (a
    // peer takes many minutes per build here); runs with --scale or --only ctx-1m.
    id: 'ctx-1m',
    title: '1,000,000-file context (16 B each), COPY . /ctx (strata only)',
    base: ['busybox'],
    phases: ['cold', 'noop', 'change'],
    coldRuns: 1,
    scale: true,
    strataOnly: true,
    walkFloor: true,
    dockerfile: 'Dockerfile',
    prepare(dir) {
      manyFiles(join(dir, 'tree'), 1_000_000, 16, 1000);
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nCOPY . /ctx\n`);
    },
    change(dir, i) {
      appendFileSync(join(dir, 'tree/d0500/f500000.bin'), `change ${i}\n`);
    },
  },
  {
    // Issue 14's scenario: an edit that keeps the build stage's artifact. The build stage
    // reruns; COPY --from and the RUN after it are CACHED in both BuildKit and strata.
    id: 'multistage-artifact',
    title: 'multi-stage: an edit that keeps the artifact (COPY --from stays cached)',
    base: ['busybox'],
    phases: ['cold', 'noop', 'change'],
    dockerfile: 'Dockerfile',
    prepare(dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'a.txt'), 'line 0\nline 1\n');
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM ${BUSYBOX} AS build\nCOPY a.txt /a.txt\nRUN mkdir /out && wc -l < /a.txt > /out/n\n` +
          `FROM ${BUSYBOX}\nCOPY --from=build /out/n /n\nRUN cat /n > /m\n`,
      );
    },
    change(dir, i) {
      // Same line count: the artifact /out/n does not change.
      writeFileSync(join(dir, 'a.txt'), `line ${i}\nline ${i + 1}\n`);
    },
  },
  {
    id: 'hello',
    title: 'a small build (busybox-hello) rebuilt with no change',
    base: ['busybox'],
    phases: ['noop'],
    dockerfile: 'Dockerfile',
    prepare(dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'hello.txt'), 'hello from strata\n');
      writeFileSync(
        join(dir, 'Dockerfile'),
        `FROM ${BUSYBOX}\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n`,
      );
    },
  },
];
