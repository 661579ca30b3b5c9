// verify-log worker bootstrap: plain JS so Node can start it without a TypeScript loader, then tsx's scoped
// tsImport loads the TypeScript worker body (a worker does not inherit loaders registered with module.register).
import { tsImport } from 'tsx/esm/api';

await tsImport('./verify-log-thread.ts', import.meta.url);
