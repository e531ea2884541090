// A bare walk: every entry below argv[2] listed and lstat'ed (bigint), nothing kept; prints ms.
import { lstatSync, readdirSync } from 'node:fs';

const t = process.hrtime.bigint();
const stack = [process.argv[2]];
let n = 0;
while (stack.length > 0) {
  const dir = stack.pop();
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    const st = lstatSync(p, { bigint: true });
    n += st.ino > 0n ? 1 : 0;
    if (e.isDirectory()) stack.push(p);
  }
}
process.stdout.write(`${Number(process.hrtime.bigint() - t) / 1e6}\n`);
if (n < 0) process.exit(1);
