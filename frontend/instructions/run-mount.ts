/**
 * `RUN --mount=<csv>` parsing with BuildKit's keys, defaults and checks
 * (instructions/commands_runmount.go). Keys are case-insensitive; `ro`, `rw`, `required` may
 * appear bare. Values are expanded by the caller-supplied function (stage env); with no
 * expander (`null`, when the instruction is first typed) values containing `$` are left
 * for later and only what is already literal is checked.
 */

import { withSuggestion } from '../suggest.js';
import { csvFields } from './csv-fields.js';
import { InstructionError } from './instruction-error.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type MountSharing = 'shared' | 'private' | 'locked';

/** A mount as written (after expansion when an expander was given); `from` unresolved. */
export interface ParsedMount {
  type: MountType;
  from?: string;
  source?: string;
  target?: string;
  readonly: boolean;
  id?: string;
  sharing?: MountSharing;
  mode?: number;
  uid?: number;
  gid?: number;
  /** tmpfs size in bytes */
  size?: number;
  env?: string;
  required: boolean;
}

const TYPES: readonly string[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const SHARING: readonly string[] = ['shared', 'private', 'locked'];
/** Every key a --mount takes, for "did you mean" (BuildKit's list in commands_runmount.go). */
const MOUNT_KEYS: readonly string[] = [
  'type',
  'from',
  'source',
  'target',
  'readonly',
  'id',
  'sharing',
  'required',
  'size',
  'mode',
  'uid',
  'gid',
  'src',
  'dst',
  'destination',
  'ro',
  'rw',
  'readwrite',
  'env',
];

export function parseMount(csv: string, expand: ((word: string) => string) | null): ParsedMount {
  const m: ParsedMount = { type: 'bind', readonly: true, required: false };
  let roAuto = true;
  let deferred = false;
  for (const field of csvFields(csv)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro' || key === 'readwrite' || key === 'rw') {
        m.readonly = key === 'readonly' || key === 'ro';
        roAuto = false;
      } else if (key === 'required') {
        if (m.type !== 'secret' && m.type !== 'ssh') throw unexpectedKey(key, m.type);
        m.required = true;
      } else {
        throw new InstructionError(`invalid field '${field}' must be a key=value pair`);
      }
      continue;
    }
    let value = field.slice(eq + 1);
    if (key === 'from') {
      const idx = value.indexOf('$');
      if (idx !== -1 && idx !== value.length - 1) {
        throw new InstructionError(`'${key}' doesn't support variable expansion, define alias stage instead`);
      }
    }
    if (expand) value = expand(value);
    else if (value.includes('$')) {
      deferred = true;
      continue;
    }
    switch (key) {
      case 'type': {
        const t = value.toLowerCase();
        if (!TYPES.includes(t))
          throw new InstructionError(withSuggestion(`unsupported mount type "${value}"`, value, TYPES));
        m.type = t as MountType;
        break;
      }
      case 'from':
        m.from = value;
        break;
      case 'source':
      case 'src':
        m.source = value;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.target = value;
        break;
      case 'readonly':
      case 'ro':
        m.readonly = parseBool(key, value);
        roAuto = false;
        break;
      case 'readwrite':
      case 'rw':
        m.readonly = !parseBool(key, value);
        roAuto = false;
        break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw unexpectedKey(key, m.type);
        m.required = parseBool(key, value);
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw unexpectedKey(key, m.type);
        m.size = ramInBytes(key, value);
        break;
      case 'id':
        m.id = value;
        break;
      case 'sharing': {
        const s = value.toLowerCase();
        if (!SHARING.includes(s))
          throw new InstructionError(withSuggestion(`unsupported sharing value "${value}"`, value, SHARING));
        m.sharing = s as MountSharing;
        break;
      }
      case 'mode':
        if (!/^[0-7]+$/.test(value) || Number.parseInt(value, 8) > 0xffffffff) {
          throw new InstructionError(`invalid value ${value} for mode`);
        }
        m.mode = Number.parseInt(value, 8);
        break;
      case 'uid':
      case 'gid': {
        if (!/^\d+$/.test(value) || Number(value) > 0xffffffff) {
          throw new InstructionError(`invalid value ${value} for ${key}`);
        }
        m[key] = Number(value);
        break;
      }
      case 'env':
        m.env = value;
        break;
      default:
        throw new InstructionError(withSuggestion(`unexpected key '${key}' in '${field}'`, key, MOUNT_KEYS));
    }
  }
  // With values left for later the type may not be known yet: the final parse checks.
  if (!deferred) validate(m, roAuto);
  return m;
}

function validate(m: ParsedMount, roAuto: boolean): void {
  if (m.type !== 'secret' && m.type !== 'ssh' && m.type !== 'cache') {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw new InstructionError(`${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (roAuto) m.readonly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.type === 'secret') {
    if (m.from !== undefined && m.from !== '')
      throw new InstructionError('secret mount should not have a from');
    if (m.sharing !== undefined) throw new InstructionError('secret mount should not define sharing');
    if (!m.source && !m.target && !m.id) {
      throw new InstructionError('invalid secret mount. one of source, target required');
    }
    if (m.source && m.id) throw new InstructionError("both source and id can't be set");
  }
  if (m.sharing !== undefined && m.type !== 'cache') {
    throw new InstructionError(`invalid cache sharing set for ${m.type} mount`);
  }
}

function parseBool(key: string, value: string): boolean {
  // Go strconv.ParseBool
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new InstructionError(`invalid value for ${key}: ${value}`);
}

function unexpectedKey(key: string, type: string): InstructionError {
  return new InstructionError(`unexpected key '${key}' for mount type '${type}'`);
}

/** docker/go-units RAMInBytes: `64m`, `1.5GiB`, `1024` (binary multiples). */
function ramInBytes(key: string, value: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (!m) throw new InstructionError(`invalid value for ${key}: ${value}`);
  const mult: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
  return Math.trunc(Number.parseFloat(m[1]) * (m[2] ? mult[m[2].toLowerCase()] : 1));
}
