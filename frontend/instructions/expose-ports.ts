/**
 * EXPOSE port specs, as BuildKit reads them after expansion: `[ip:][host:]port[-end][/proto]`.
 * Returns `"<port>/<proto>"` keys with ranges expanded and the protocol lower-cased
 * (default `tcp`). The ip and host parts are validated and then dropped (BuildKit only lints
 * them).
 */
import { InstructionError } from './instruction-error.js';

export function parseExposedPorts(specs: readonly string[]): string[] {
  return specs.flatMap(parsePort);
}

function parsePort(raw: string): string[] {
  const parts = raw.split(':');
  const n = parts.length;
  const ip = n >= 3 ? parts.slice(0, n - 2).join(':') : '';
  const hostPort = n >= 2 ? parts[n - 2] : '';
  const containerSpec = parts[n - 1];
  const slash = containerSpec.indexOf('/');
  const port = slash < 0 ? containerSpec : containerSpec.slice(0, slash);
  let proto = slash < 0 ? '' : containerSpec.slice(slash + 1);
  if (port === '') throw new InstructionError(`invalid port: "${raw}": no port specified`);
  proto = proto.toLowerCase();
  if (proto === '') proto = 'tcp';
  else if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') {
    throw new InstructionError(`invalid port: "${raw}": invalid proto: ${containerSpec.slice(slash + 1)}`);
  }
  if (ip !== '') {
    const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
    if (!isIp(bare)) throw new InstructionError(`invalid IP address: ${ip}`);
  }
  const [start, end] = portRange(port, 'containerPort');
  if (hostPort !== '') {
    const [hs, he] = portRange(hostPort, 'hostPort');
    if (end - start !== he - hs && end !== start) {
      throw new InstructionError(
        `invalid ranges specified for container and host Ports: ${port} and ${hostPort}`,
      );
    }
  }
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

function portRange(text: string, what: string): [number, number] {
  const dash = text.indexOf('-');
  const a = dash < 0 ? text : text.slice(0, dash);
  const b = dash < 0 ? a : text.slice(dash + 1);
  const start = portNumber(a);
  const end = a === b ? start : portNumber(b);
  if (start === undefined || end === undefined || end < start) {
    throw new InstructionError(`invalid ${what}: ${text}`);
  }
  return [start, end];
}

function portNumber(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 0 && n <= 65535 ? n : undefined;
}

function isIp(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s))
    return s.split('.').every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:.]+$/.test(s) && s.includes(':');
}
