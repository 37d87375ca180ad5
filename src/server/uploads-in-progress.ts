import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The requests whose bodies are still arriving, so that a shutdown can stop waiting for
 * them. Closing the server waits for every request in flight, and a client that sent
 * headers and half a body and then nothing would keep it waiting until the request
 * deadline; under an orchestrator the process is killed first, before the events already
 * accepted are run and their alerts written. Nothing of a request not received whole has
 * been accepted, so closing its connection loses nothing: its sender got no answer and
 * sends it again.
 */
export class UploadsInProgress {
  private readonly requests = new Set<IncomingMessage>();

  /** A server's `request` listener. */
  readonly track = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.complete) return;
    this.requests.add(request);
    const done = () => this.requests.delete(request);
    request.once("end", done);
    response.once("close", done);
  };

  /** Closes the connections of the requests still being received; says how many. */
  abandon(): number {
    let closed = 0;
    for (const request of this.requests) {
      if (request.complete) continue;
      request.socket.destroy();
      closed++;
    }
    this.requests.clear();
    return closed;
  }
}
