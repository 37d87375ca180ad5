import { LoadBuilder } from "./load-builder.ts";
import type { LoadOptions, LoadResult } from "./load-rules.ts";
import { acceptRuleDocument } from "./rule-document.ts";

/** Loads rules from text already in memory (an upload, a test), as if read from `file`. */
export function loadRuleText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const builder = new LoadBuilder(options);
  builder.addFile(text, file);
  builder.settle(acceptRuleDocument);
  return builder.finish([file], []);
}
