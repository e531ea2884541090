#!/usr/bin/env node
// Placeholder entry; replaced by the real CLI dispatcher.
process.stdout.write('strata 0.1.0\n');
