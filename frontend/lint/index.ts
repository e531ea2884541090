/** Dockerfile advice: BuildKit's common checks and strata's cache advice, as plain data. */

export type { CheckConfig } from './check-directive.js';
export { parseCheckDirective, ruleEnabled } from './check-directive.js';
export { execFormFor } from './instruction-rules.js';
export { formatLintWarning, lint } from './lint.js';
export type { LintWarning } from './lint-warning.js';
export type { PackageManager } from './package-installs.js';
export { cacheMountTargets, findInstalls, PACKAGE_MANAGERS } from './package-installs.js';
export { referencedVars } from './undefined-var.js';
