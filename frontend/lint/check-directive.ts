/**
 * The `# check=` parser directive: `skip=RuleA,RuleB` (or `skip=all`) and `error=true`,
 * options separated by `;`, as BuildKit reads it. Unknown options are ignored, as BuildKit
 * ignores them, so a newer Dockerfile still builds.
 */
export interface CheckConfig {
  /** Rule codes to drop; `all` drops every rule. Compared case-insensitively. */
  skip: Set<string>;
  skipAll: boolean;
  /** True when warnings should fail the build. */
  error: boolean;
}

export function parseCheckDirective(value: string | undefined): CheckConfig {
  const cfg: CheckConfig = { skip: new Set(), skipAll: false, error: false };
  if (!value) return cfg;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const val = part.slice(eq + 1).trim();
    if (key === 'skip') {
      for (const name of val.split(',')) {
        const n = name.trim().toLowerCase();
        if (n === 'all') cfg.skipAll = true;
        else if (n) cfg.skip.add(n);
      }
    } else if (key === 'error') {
      cfg.error = val.toLowerCase() === 'true';
    }
  }
  return cfg;
}

/** True when the directive keeps rule `code`. */
export function ruleEnabled(cfg: CheckConfig, code: string): boolean {
  return !cfg.skipAll && !cfg.skip.has(code.toLowerCase());
}
