import type { Field } from "../ast.ts";
import { type EqlType, isNumericType, isStringType } from "../types.ts";
import type { ValidationContext } from "./context.ts";

const family = (t: EqlType) =>
  isStringType(t) ? "string" : isNumericType(t) ? "numeric" : t === "date_nanos" ? "date" : t;

/** Keys at one position of a sequence or sample must be comparable across its queries. */
export function checkJoinKeyTypes(ctx: ValidationContext, keysPerTerm: Field[][]): void {
  if (keysPerTerm.length === 0) return;
  const first = keysPerTerm[0];
  for (const keys of keysPerTerm.slice(1)) {
    keys.forEach((key, i) => {
      const reference = first[i];
      if (!reference) return;
      const a = ctx.typeOf(reference);
      const b = ctx.typeOf(key);
      if (a === "unknown" || b === "unknown" || a === "null" || b === "null") return;
      if (family(a) !== family(b)) {
        ctx.report(
          key.loc,
          `Sequence key [${key.name}] type [${b}] is incompatible with key [${reference.name}] type [${a}]`,
        );
      }
    });
  }
}
