#!/usr/bin/env node
// The QuantLens command line. Runs the TypeScript engine directly through tsx (installed by
// `npm ci`), so the CLI and the app share one engine with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
