// Why strata does not use zlib-sync. Reproduce: in an empty temp dir, `npm install zlib-sync`
// (it builds with node-gyp), copy this file there and run `node inflate.cjs`. Results on the
// development machine are in README.md beside this file.
// Inflate a ~64 MB layer-like gzip stream: node:zlib (streaming, async and sync) vs zlib-sync.
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const ZS = require('zlib-sync');
const parts = [];
for (let i = 0; i < 64; i++) { const b = crypto.randomBytes(512 * 1024); parts.push(b, Buffer.alloc(512 * 1024, i)); }
const raw = Buffer.concat(parts);
const gz = zlib.gzipSync(raw, { level: 6 });
const CH = 64 * 1024;
function t(name, fn) { const s = process.hrtime.bigint(); const n = fn(); const ms = Number(process.hrtime.bigint() - s) / 1e6; console.log(name.padEnd(28), ms.toFixed(0), 'ms', (raw.length / 1e6 / (ms / 1000)).toFixed(0), 'MB/s', n === raw.length ? 'ok' : 'BAD ' + n); }
async function main() {
  for (let r = 0; r < 2; r++) {
    t('node:zlib gunzipSync', () => zlib.gunzipSync(gz).length);
    t('zlib-sync Inflate (whole)', () => { const inf = new ZS.Inflate({ windowBits: 31 }); inf.push(gz, ZS.Z_SYNC_FLUSH); if (inf.err < 0) throw new Error(inf.msg); return inf.result.length; });
    const s = process.hrtime.bigint();
    const n = await new Promise((res) => { let n = 0; const g = zlib.createGunzip(); g.on('data', (d) => (n += d.length)); g.on('end', () => res(n)); for (let o = 0; o < gz.length; o += CH) g.write(gz.subarray(o, o + CH)); g.end(); });
    const ms = Number(process.hrtime.bigint() - s) / 1e6; console.log('node:zlib createGunzip stream'.padEnd(28), ms.toFixed(0), 'ms', (raw.length / 1e6 / (ms / 1000)).toFixed(0), 'MB/s', n === raw.length ? 'ok' : 'BAD');
  }
}
main();
