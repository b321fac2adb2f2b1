#!/usr/bin/env node
import { runAsbackup } from '../dist/src/tools/backup/backup.js';

process.exit(await runAsbackup(process.argv.slice(2)));
