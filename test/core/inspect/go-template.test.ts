import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../../core/inspect/go-template.js';

const data = {
  Id: 'sha256:abc',
  Config: { Cmd: ['node', 'index.js'], Env: ['A=1'], Labels: { 'a.b': 'x' }, Entrypoint: null },
  RootFS: { Layers: ['sha256:1', 'sha256:2'] },
};

describe('inspect --format (Go template subset)', () => {
  it('prints fields the way Go fmt does', () => {
    expect(renderTemplate('{{.Config.Cmd}}', data)).toBe('[node index.js]');
    expect(renderTemplate('{{.Id}}', data)).toBe('sha256:abc');
    expect(renderTemplate('{{.Config.Entrypoint}}', data)).toBe('<no value>');
    expect(renderTemplate('{{.Config.Labels}}', data)).toBe('map[a.b:x]');
  });
  it('supports json, index, len and range', () => {
    expect(renderTemplate('{{json .RootFS.Layers}}', data)).toBe('["sha256:1","sha256:2"]');
    expect(renderTemplate('{{index .Config.Labels "a.b"}}', data)).toBe('x');
    expect(renderTemplate('{{len .RootFS.Layers}}', data)).toBe('2');
    expect(renderTemplate('{{range .RootFS.Layers}}{{.}}\n{{end}}', data)).toBe('sha256:1\nsha256:2\n');
  });
  it('rejects what it does not support with a clear error', () => {
    expect(() => renderTemplate('{{printf "%s" .Id}}', data)).toThrow(/unsupported template expression/);
    expect(() => renderTemplate('{{range .RootFS.Layers}}x', data)).toThrow(/missing \{\{end\}\}/);
  });
});
