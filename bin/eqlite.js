#!/usr/bin/env node
// The built CLI; `npm ci` builds it (the `prepare` script).
import("../dist/cli/entry.js").catch((error) => {
  if (error?.code === "ERR_MODULE_NOT_FOUND") {
    console.error("eqlite: dist/ is missing; run `npm ci` (or `npm run build`) first");
    process.exit(2);
  }
  throw error;
});
