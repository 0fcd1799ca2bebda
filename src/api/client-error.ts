import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, errorDocsUrl, renderError } from './errors';

/** What Node's own HTTP parser refused, as the API would have said it. */
function describe(code: string | undefined): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('invalid_request', 'headers_too_large', 'The request headers are too large', { status: 431 });
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new ApiError('invalid_request', 'payload_too_large', 'The chunk extensions are too large', { status: 413 });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError('invalid_request', 'request_timeout', 'The request was not received in time', { status: 408 });
    default:
      return new ApiError('invalid_request', 'malformed_request', 'The request is not well-formed HTTP', { status: 400 });
  }
}

/**
 * Requests Node's parser rejects (431 headers too large, malformed request lines and headers)
 * never reach Express; they get the error envelope written to the socket, when nothing has
 * been written on it yet (as Node's own handler does), and the connection is closed.
 */
export function answerClientErrors(server: Server, publicBaseUrl: string): void {
  const docsUrl = errorDocsUrl(publicBaseUrl);
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex & { bytesWritten?: number }) => {
    if (error.code !== 'ECONNRESET' && socket.writable && !socket.bytesWritten) {
      const requestId = randomUUID();
      const { status, body } = renderError(describe(error.code), 'sell', { requestId, docsUrl });
      const json = JSON.stringify(body);
      const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nX-Request-Id: ${requestId}\r\n`;
      // Destroyed once the answer is flushed: the connection's parser state is beyond repair.
      socket.end(`${head}Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`, () => socket.destroy());
      return;
    }
    socket.destroy();
  });
}
