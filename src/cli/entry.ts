/** The command line's entry point: runs `main` on the process's arguments and streams. */
import { main } from './main';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
