/** dockerfile_secrets_test.go: secret mounts as files (owner, mode) and as environment variables. */
import { expect } from 'vitest';
import type { SuiteCase } from '../suite-case.js';

const file = 'secrets' as const;

const PW = { scratch: { mysecret: 'pw' }, flags: ['--secret', 'id=mysecret,src={tmp}/mysecret'] };

export const secretsCases: SuiteCase[] = [
  {
    go: 'testSecretFileParams',
    file,
    name: 'a secret file takes the asked uid, gid and mode, and leaves no stub behind',
    defect: 6,
    dockerfile: `FROM busybox
RUN --mount=type=secret,required=false,mode=741,uid=100,gid=102,target=/mysecret [ "$(stat -c "%u %g %f" /mysecret)" = "100 102 81e1" ]
RUN [ ! -f /mysecret ] # check no stub left behind
`,
    ...PW,
    expect: { absent: ['mysecret'] },
  },
  {
    go: 'testSecretRequiredWithoutValue',
    file,
    name: 'a required secret that was not given fails the build',
    dockerfile: 'FROM busybox\nRUN --mount=type=secret,required,id=mysecret foo\n',
    expect: { error: /secret mysecret: not found/ },
  },
  {
    go: 'testSecretAsEnviron',
    file,
    name: 'env= puts the secret in the environment only, never at /run/secrets',
    dockerfile:
      'FROM busybox\nENV SECRET_ENV=foo\nRUN --mount=type=secret,id=mysecret,env=SECRET_ENV [ "$SECRET_ENV" == "pw" ] && [ ! -f /run/secrets/mysecret ] || false\n',
    ...PW,
    expect: { config: { config: { Env: expect.arrayContaining(['SECRET_ENV=foo']) } } },
  },
  {
    go: 'testSecretAsEnvironWithFileMount',
    file,
    name: 'env= with target= gives both the variable and the file',
    dockerfile:
      'FROM busybox\nRUN --mount=type=secret,id=mysecret,target=/run/secrets/secret,env=SECRET_ENV [ "$SECRET_ENV" == "pw" ] && [ -f /run/secrets/secret ] || false\n',
    ...PW,
    expect: {},
  },
  {
    go: 'testSecretFileParams',
    file,
    name: 'by default a secret file is root-owned 0400 at /run/secrets/<id>',
    dockerfile:
      'FROM busybox\nRUN --mount=type=secret,id=mysecret [ "$(stat -c "%u %g %a" /run/secrets/mysecret)" = "0 0 400" ] && [ "$(cat /run/secrets/mysecret)" = pw ]\n',
    ...PW,
    expect: {},
  },
];
