import { fileURLToPath } from "node:url";

/** The rule pack that ships with eqlite: `rules/` beside `src/` and `dist/`. */
export const BUNDLED_RULES = fileURLToPath(new URL("../../rules", import.meta.url));
