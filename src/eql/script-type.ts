import { widen } from "./arithmetic.ts";
import type { Expression } from "./ast.ts";
import { lookupFunction } from "./functions.ts";
import type { EqlType } from "./types.ts";

/**
 * The type a script computes with, which is not always the type the query was validated
 * with: Elasticsearch's scripts read an `integer`, `short` or `byte` field's doc values as a
 * Java Long and a `float` or `half_float` field's as a double, so `i + 1` is long arithmetic
 * (2147483647 + 1 does not overflow) though its validated type is integer. Literals and
 * function results (`length()`) keep their type. Only run-time arithmetic reads this; the
 * validated type stays what error messages name.
 */
export function scriptTypeOf(e: Expression, typeOf: (e: Expression) => EqlType): EqlType {
  switch (e.kind) {
    case "Field": {
      const t = typeOf(e);
      return t === "integer" ? "long" : t === "float" ? "double" : t;
    }
    case "Negate":
      return scriptTypeOf(e.operand, typeOf);
    case "Arithmetic": {
      const a = scriptTypeOf(e.left, typeOf);
      const b = scriptTypeOf(e.right, typeOf);
      // as validation types it: an operand that is null or unknown leaves the type to the values
      return a === "null" || b === "null" ? "unknown" : widen(a, b);
    }
    case "FunctionCall": {
      const fn = lookupFunction(e.name);
      if (!fn) return typeOf(e);
      return fn.scriptReturnType ?? fn.returnType(e.args.map((a) => scriptTypeOf(a, typeOf)));
    }
    default:
      return typeOf(e);
  }
}
