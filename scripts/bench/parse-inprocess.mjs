/**
 * `node parse-inprocess.mjs DOCKERFILE RUNS`: times strata's frontend on one Dockerfile
 * inside one process, after one warm-up call, so start-up is not counted. Prints JSON:
 * { parseMs: number[], graphMs: number[] } (text -> AST, and AST -> build graph).
 */
import { readFileSync } from 'node:fs';

const [file, runs = '5'] = process.argv.slice(2);
const { parse, toGraph } = await import(new URL('../../dist/frontend/index.js', import.meta.url).href);
const text = readFileSync(file, 'utf8');
const now = () => process.hrtime.bigint();
const once = () => {
  const t0 = now();
  const ast = parse(text, { file });
  const t1 = now();
  toGraph(ast, { file });
  const t2 = now();
  return [Number(t1 - t0) / 1e6, Number(t2 - t1) / 1e6];
};
once();
const samples = Array.from({ length: Number(runs) }, once);
process.stdout.write(
  `${JSON.stringify({ parseMs: samples.map((s) => s[0]), graphMs: samples.map((s) => s[1]) })}\n`,
);
