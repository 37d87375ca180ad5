import type { FastifyInstance, HTTPMethods } from "fastify";
import { esError } from "./es-error.ts";
import { UNHANDLED } from "./unhandled-requests.ts";

/**
 * A path eqlite serves, called with a method it does not take, is answered 405 with an
 * `Allow` header, as Elasticsearch answers it. Without this the call fell to the
 * catch-all and `PUT /{index}/_doc` or `PATCH /_bulk` was acknowledged: the shipper saw
 * success and the events were gone. HEAD is left to the catch-all ("exists") unless GET
 * is refused, which refuses HEAD with it.
 */
const METHODS: readonly HTTPMethods[] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

export function refuseOtherMethods(
  app: FastifyInstance,
  url: string,
  allowed: readonly HTTPMethods[],
  /** the error body in the shape of the routes it stands beside; Elasticsearch's by default */
  errorBody: (message: string) => unknown = (message) => esError(405, "illegal_argument_exception", message),
): void {
  const others = METHODS.filter((m) => !allowed.includes(m));
  const allow = allowed.join(", ");
  app.route({
    method: others,
    url,
    config: UNHANDLED,
    // answered before the body is parsed: a body the route's parsers refuse would make it a 415 or 400
    onRequest: async (request, reply) => {
      reply.code(405).header("allow", allow);
      return reply.send(
        errorBody(
          `Incorrect HTTP method for uri [${request.url}] and method [${request.method}], allowed: [${allow}]`,
        ),
      );
    },
    handler: async () => undefined,
  });
}
