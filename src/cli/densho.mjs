#!/usr/bin/env node
// `densho` bin launcher: registers tsx's TypeScript loader, then runs the CLI entry (src/cli/main.ts).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
