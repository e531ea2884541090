/** dockerfile_heredoc_test.go: COPY and RUN heredocs, shebangs, indentation, expansion. */
import type { SuiteCase } from '../suite-case.js';

const file = 'heredoc' as const;

/** BuildKit's busybox image has /bin/awk; Debian's static busybox installs it in /usr/bin. */
const BIN_AWK = 'RUN ln -s busybox /bin/awk';

export const heredocCases: SuiteCase[] = [
  {
    go: 'testCopyHeredoc',
    file,
    name: 'COPY heredocs: one file, several into a directory, --chmod and --chown',
    dockerfile: `FROM busybox AS build
RUN echo user:x:1001:1001::/:/bin/sh >> /etc/passwd && echo user:x:1001: >> /etc/group
WORKDIR /dest
COPY <<EOF single
single file
EOF
COPY <<EOF <<EOF2 double/
first file
EOF
second file
EOF2
RUN mkdir -p /permfiles
COPY --chmod=777 <<EOF /permfiles/all
dummy content
EOF
COPY --chmod=0644 <<EOF /permfiles/rw
dummy content
EOF
COPY --chown=user:user <<EOF /permfiles/owned
dummy content
EOF
RUN stat -c "%04a" /permfiles/all >> perms && stat -c "%04a" /permfiles/rw >> perms && stat -c "%U:%G" /permfiles/owned >> perms
FROM scratch
COPY --from=build /dest /
`,
    expect: {
      files: {
        single: 'single file\n',
        'double/EOF': 'first file\n',
        'double/EOF2': 'second file\n',
        perms: '0777\n0644\nuser:user\n',
      },
    },
  },
  {
    go: 'testCopyHeredocSpecialSymbols',
    file,
    name: 'COPY heredoc quoting: backslashes processed unless the delimiter is quoted',
    dockerfile: String.raw`FROM scratch
COPY <<EOF quotefile
"quotes in file"
EOF
COPY <<EOF slashfile1
\
EOF
COPY <<EOF slashfile2
\\
EOF
COPY <<EOF slashfile3
\$
EOF
COPY <<"EOF" rawslashfile1
\
EOF
COPY <<"EOF" rawslashfile2
\\
EOF
COPY <<"EOF" rawslashfile3
\$
EOF
`,
    expect: {
      files: {
        quotefile: '"quotes in file"\n',
        slashfile1: '\n',
        slashfile2: '\\\n',
        slashfile3: '$\n',
        rawslashfile1: '\\\n',
        rawslashfile2: '\\\\\n',
        rawslashfile3: '\\$\n',
      },
    },
  },
  {
    go: 'testRunBasicHeredoc',
    file,
    name: 'RUN <<EOF runs every line in the shell',
    dockerfile:
      'FROM busybox AS build\nRUN <<EOF\necho "i am" >> /dest\nwhoami >> /dest\nEOF\nFROM scratch\nCOPY --from=build /dest /dest\n',
    expect: { files: { dest: 'i am\nroot\n' } },
  },
  {
    go: 'testRunFakeHeredoc',
    file,
    name: 'SHELL chooses the interpreter of a RUN heredoc',
    dockerfile: `FROM busybox AS build\n${BIN_AWK}\nSHELL ["/bin/awk"]\nRUN <<EOF\nBEGIN {\n\tprint "foo" > "/dest"\n}\nEOF\nFROM scratch\nCOPY --from=build /dest /dest\n`,
    expect: { files: { dest: 'foo\n' } },
  },
  {
    go: 'testRunShebangHeredoc',
    file,
    name: 'a RUN heredoc starting with #! runs with that interpreter, <<- strips tabs first',
    defect: 1,
    dockerfile: `FROM busybox AS build
${BIN_AWK}
WORKDIR /dest
RUN <<EOF
#!/bin/awk -f
BEGIN {
	print "hello" >> "./out1"
	print "world" >> "./out1"
}
EOF
RUN <<-EOF
	#!/bin/awk -f
	BEGIN {
		print "hello" >> "./out2"
		print "world" >> "./out2"
	}
EOF
FROM scratch
COPY --from=build /dest /
`,
    expect: { files: { out1: 'hello\nworld\n', out2: 'hello\nworld\n' } },
  },
  {
    go: 'testRunComplexHeredoc',
    file,
    name: 'heredocs piped into commands, continued lines, and on file descriptors 3 and 4',
    dockerfile: String.raw`FROM busybox AS build
WORKDIR /dest
RUN cat <<EOF1 | tr '[:upper:]' '[:lower:]' > ./out1; \
	cat <<EOF2 | tr '[:lower:]' '[:upper:]' > ./out2
hello WORLD
EOF1
HELLO world
EOF2
RUN <<EOF 3<<IN1 4<<IN2 awk -f -
BEGIN {
	while ((getline line < "/proc/self/fd/3") > 0)
		print tolower(line) > "./fd3"
	while ((getline line < "/proc/self/fd/4") > 0)
		print toupper(line) > "./fd4"
}
EOF
hello WORLD
IN1
HELLO world
IN2
FROM scratch
COPY --from=build /dest /
`,
    expect: {
      files: { out1: 'hello world\n', out2: 'HELLO WORLD\n', fd3: 'hello world\n', fd4: 'HELLO WORLD\n' },
    },
  },
  {
    go: 'testHeredocIndent',
    file,
    name: '<<EOF keeps leading tabs and <<-EOF strips them: COPY, RUN, shebang RUN, redirected RUN',
    defect: 1,
    dockerfile: `FROM busybox AS build
COPY <<EOF /dest/foo-copy
	foo
EOF
COPY <<-EOF /dest/bar-copy
	bar
EOF
RUN <<EOF
echo "
	foo" > /dest/foo-run
EOF
RUN <<-EOF
echo "
	bar" > /dest/bar-run
EOF
RUN <<EOF
#!/bin/sh
echo "
	foo" > /dest/foo2-run
EOF
RUN <<-EOF
#!/bin/sh
echo "
	bar" > /dest/bar2-run
EOF
RUN <<EOF sh > /dest/foo3-run
echo "
	foo"
EOF
RUN <<-EOF sh > /dest/bar3-run
echo "
	bar"
EOF
FROM scratch
COPY --from=build /dest /
`,
    expect: {
      files: {
        'foo-copy': '\tfoo\n',
        'foo-run': '\n\tfoo\n',
        'foo2-run': '\n\tfoo\n',
        'foo3-run': '\n\tfoo\n',
        'bar-copy': 'bar\n',
        'bar-run': '\nbar\n',
        'bar2-run': '\nbar\n',
        'bar3-run': '\nbar\n',
      },
    },
  },
  {
    go: 'testHeredocVarSubstitution',
    file,
    name: 'ARG values expand in unquoted heredocs only; a RUN heredoc shell may shadow them',
    dockerfile: `FROM busybox as build
ARG name=world
COPY <<EOF /dest/c1
Hello \${name}!
EOF
COPY <<'EOF' /dest/c2
Hello \${name}!
EOF
COPY <<"EOF" /dest/c3
Hello \${name}!
EOF
COPY <<EOF /dest/q1
Hello '\${name}'!
EOF
COPY <<EOF /dest/q2
Hello "\${name}"!
EOF
COPY <<'EOF' /dest/qsingle1
Hello '\${name}'!
EOF
COPY <<'EOF' /dest/qsingle2
Hello "\${name}"!
EOF
COPY <<"EOF" /dest/qdouble1
Hello '\${name}'!
EOF
COPY <<"EOF" /dest/qdouble2
Hello "\${name}"!
EOF
RUN <<EOF
greeting="Hello"
echo "\${greeting} \${name}!" > /dest/r1
EOF
RUN <<EOF
name="new world"
echo "Hello \${name}!" > /dest/r2
EOF
FROM scratch
COPY --from=build /dest /
`,
    expect: {
      files: {
        c1: 'Hello world!\n',
        c2: 'Hello ${name}!\n',
        c3: 'Hello ${name}!\n',
        q1: "Hello 'world'!\n",
        q2: 'Hello "world"!\n',
        qsingle1: "Hello '${name}'!\n",
        qsingle2: 'Hello "${name}"!\n',
        qdouble1: "Hello '${name}'!\n",
        qdouble2: 'Hello "${name}"!\n',
        r1: 'Hello world!\n',
        r2: 'Hello new world!\n',
      },
    },
  },
  {
    go: 'testOnBuildHeredoc',
    file,
    name: 'an ONBUILD RUN heredoc of a base image runs in the child',
    parents: { base: 'FROM busybox\nONBUILD RUN <<EOF\necho "hello world" >> /dest\nEOF\n' },
    dockerfile: 'FROM {image:base} AS base\nFROM scratch\nCOPY --from=base /dest /dest\n',
    expect: { files: { dest: 'hello world\n' } },
  },
];
