#!/usr/bin/env node
import { runAsadm } from '../dist/src/tools/asadm/asadm.js';

process.exit(await runAsadm(process.argv.slice(2)));
