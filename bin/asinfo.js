#!/usr/bin/env node
import { runAsinfo } from '../dist/src/tools/asinfo.js';

process.exit(await runAsinfo(process.argv.slice(2)));
