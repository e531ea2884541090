/**
 * Recognises package-manager installs in a RUN command, with what each one reads from the
 * context (its manifests) and where it keeps its download cache. Used by the cache advice
 * rules; a table, so adding a manager is adding a row.
 */
export interface PackageManager {
  name: string;
  /** Matches the install command inside shell text. */
  pattern: RegExp;
  /** Files the install reads from the context; empty for system package managers. */
  manifests: string[];
  /** The cache directory to mount with `--mount=type=cache,target=...`. */
  cacheTargets: string[];
}

const W = '(?:^|[\\s;&|(`])';

export const PACKAGE_MANAGERS: readonly PackageManager[] = [
  {
    name: 'npm',
    pattern: new RegExp(`${W}npm\\s+(?:[-\\w=]+\\s+)*(?:install|i|ci|add)\\b`),
    manifests: ['package.json', 'package-lock.json'],
    cacheTargets: ['/root/.npm'],
  },
  {
    name: 'yarn',
    pattern: new RegExp(`${W}yarn(?:\\s+(?:install|add)\\b|\\s*(?:$|[;&|]))`),
    manifests: ['package.json', 'yarn.lock'],
    cacheTargets: ['/usr/local/share/.cache/yarn'],
  },
  {
    name: 'pnpm',
    pattern: new RegExp(`${W}pnpm\\s+(?:install|i|add|fetch)\\b`),
    manifests: ['package.json', 'pnpm-lock.yaml'],
    cacheTargets: ['/root/.local/share/pnpm/store'],
  },
  {
    name: 'pip',
    pattern: new RegExp(`${W}(?:python3?\\s+-m\\s+)?pip3?\\s+install\\b`),
    manifests: ['requirements.txt'],
    cacheTargets: ['/root/.cache/pip'],
  },
  {
    name: 'pipenv',
    pattern: new RegExp(`${W}pipenv\\s+(?:install|sync)\\b`),
    manifests: ['Pipfile', 'Pipfile.lock'],
    cacheTargets: ['/root/.cache/pipenv'],
  },
  {
    name: 'poetry',
    pattern: new RegExp(`${W}poetry\\s+install\\b`),
    manifests: ['pyproject.toml', 'poetry.lock'],
    cacheTargets: ['/root/.cache/pypoetry'],
  },
  {
    name: 'go',
    pattern: new RegExp(`${W}go\\s+(?:mod\\s+download|get)\\b`),
    manifests: ['go.mod', 'go.sum'],
    cacheTargets: ['/go/pkg/mod'],
  },
  {
    name: 'bundler',
    pattern: new RegExp(`${W}bundle\\s+install\\b`),
    manifests: ['Gemfile', 'Gemfile.lock'],
    cacheTargets: ['/usr/local/bundle/cache'],
  },
  { name: 'gem', pattern: new RegExp(`${W}gem\\s+install\\b`), manifests: [], cacheTargets: ['/root/.gem'] },
  {
    name: 'composer',
    pattern: new RegExp(`${W}composer\\s+install\\b`),
    manifests: ['composer.json', 'composer.lock'],
    cacheTargets: ['/root/.composer/cache'],
  },
  {
    name: 'cargo',
    pattern: new RegExp(`${W}cargo\\s+(?:fetch|install)\\b`),
    manifests: ['Cargo.toml', 'Cargo.lock'],
    cacheTargets: ['/usr/local/cargo/registry'],
  },
  {
    name: 'maven',
    pattern: new RegExp(`${W}mvn\\s+(?:[-\\w.=]+\\s+)*dependency:(?:go-offline|resolve)\\b`),
    manifests: ['pom.xml'],
    cacheTargets: ['/root/.m2'],
  },
  {
    name: 'apt',
    pattern: new RegExp(`${W}apt(?:-get)?\\s+(?:[-\\w=]+\\s+)*install\\b`),
    manifests: [],
    cacheTargets: ['/var/cache/apt', '/var/lib/apt'],
  },
  {
    name: 'apk',
    pattern: new RegExp(`${W}apk\\s+(?:[-\\w=]+\\s+)*add\\b`),
    manifests: [],
    cacheTargets: ['/var/cache/apk'],
  },
  {
    name: 'dnf',
    pattern: new RegExp(`${W}(?:dnf|yum|microdnf)\\s+(?:[-\\w=]+\\s+)*install\\b`),
    manifests: [],
    cacheTargets: ['/var/cache/dnf'],
  },
];

/** The package managers a RUN's command text installs with, in table order. */
export function findInstalls(commandText: string): PackageManager[] {
  return PACKAGE_MANAGERS.filter((m) => m.pattern.test(commandText));
}

/** `--mount=type=cache,...` flags of a RUN, by their targets (`dst`/`destination` accepted). */
export function cacheMountTargets(flags: readonly string[]): string[] {
  const out: string[] = [];
  for (const f of flags) {
    const m = /^--mount=(.*)$/.exec(f);
    if (!m) continue;
    const kv = new Map(
      m[1].split(',').map((p) => {
        const i = p.indexOf('=');
        return i === -1 ? [p.toLowerCase(), ''] : [p.slice(0, i).toLowerCase(), p.slice(i + 1)];
      }),
    );
    if (kv.get('type') !== 'cache') continue;
    out.push(kv.get('target') ?? kv.get('dst') ?? kv.get('destination') ?? '');
  }
  return out;
}
