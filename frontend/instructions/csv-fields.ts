/**
 * Splits one CSV record the way Go's encoding/csv (and BuildKit's `--mount` parser) does:
 * comma-separated fields; a field that starts with `"` is quoted and `""` inside it is a
 * literal quote; a quote inside an unquoted field, or text after a closing quote, is an error.
 */
import { InstructionError } from './instruction-error.js';

export function csvFields(record: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= record.length) throw csvError('extraneous or missing " in quoted-field');
        if (record[i] === '"') {
          if (record[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += record[i++];
      }
      if (i < record.length && record[i] !== ',') throw csvError('extraneous or missing " in quoted-field');
      fields.push(value);
    } else {
      const end = record.indexOf(',', i);
      const value = end < 0 ? record.slice(i) : record.slice(i, end);
      if (value.includes('"')) throw csvError('bare " in non-quoted-field');
      fields.push(value);
      i = end < 0 ? record.length : end;
    }
    if (i >= record.length) return fields;
    i++; // the comma
  }
}

function csvError(detail: string): InstructionError {
  return new InstructionError(`failed to parse csv mounts: ${detail}`);
}
