#!/usr/bin/env node
import { runAsrestore } from '../dist/src/tools/backup/restore.js';

process.exit(await runAsrestore(process.argv.slice(2)));
