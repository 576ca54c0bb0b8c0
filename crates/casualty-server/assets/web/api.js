// Requests to the service with the planner's key, and the reader of Server-Sent Events.
//
// The key lives in sessionStorage only, so it is gone when the browser tab closes, and it is
// sent in the X-API-Key header, never in a URL. EventSource cannot send headers, so event streams
// are read with fetch and parsed here.
const KEY_STORAGE = 'casualty.apiKey';
/** A failed request, with the service's error body. */
export class ApiError extends Error {
    status;
    error;
    errors;
    constructor(status, error, detail, errors = []) {
        super(detail);
        this.status = status;
        this.error = error;
        this.errors = errors;
    }
}
/** Returns the key of this browser session, or null. */
export function storedKey() {
    return sessionStorage.getItem(KEY_STORAGE);
}
/** Keeps the key for this browser session. */
export function storeKey(key) {
    sessionStorage.setItem(KEY_STORAGE, key.trim());
}
/** Forgets the key. */
export function forgetKey() {
    sessionStorage.removeItem(KEY_STORAGE);
}
function headers(extra = {}) {
    const result = new Headers(extra);
    const key = storedKey();
    if (key) {
        result.set('X-API-Key', key);
    }
    return result;
}
async function failure(response) {
    let body = {};
    try {
        body = await response.json();
    }
    catch {
        // Not the service's error body (a proxy's page, say), so the status line has to do.
    }
    const detail = body.detail ?? `the server answered ${response.status} ${response.statusText}`;
    return new ApiError(response.status, body.error ?? 'error', detail, body.errors ?? []);
}
/** Sends a request and returns the response, or throws an {@link ApiError}. */
export async function request(method, path, body, signal) {
    const init = { method, headers: headers(), signal };
    if (body !== undefined) {
        init.headers = headers({ 'Content-Type': 'application/json' });
        init.body = JSON.stringify(body);
    }
    let response;
    try {
        response = await fetch(path, init);
    }
    catch (error) {
        if (signal?.aborted) {
            throw error;
        }
        throw new ApiError(0, 'network_error', `the server could not be reached (${error.message}); check that casualty serve is running`);
    }
    if (!response.ok) {
        throw await failure(response);
    }
    return response;
}
/** Sends a request and parses its JSON body. */
export async function requestJson(method, path, body) {
    const response = await request(method, path, body);
    if (response.status === 204) {
        return undefined;
    }
    return (await response.json());
}
/**
 * Reads the event stream of `path` and calls `onEvent` for each event until the stream ends or
 * `signal` aborts. Parses the text/event-stream format: fields up to a blank line, `data` lines
 * joined with newlines, comments (lines starting with a colon) ignored.
 */
export async function readEvents(path, signal, onEvent) {
    const response = await request('GET', path, undefined, signal);
    if (!response.body) {
        throw new ApiError(0, 'no_stream', 'this browser cannot read response streams');
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let eventName = 'message';
    let data = [];
    for (;;) {
        const { value, done } = await reader.read();
        if (done) {
            return;
        }
        buffer += value;
        let end = buffer.search(/\r\n|\r|\n/);
        while (end >= 0) {
            const line = buffer.slice(0, end);
            const newline = buffer.startsWith('\r\n', end) ? 2 : 1;
            buffer = buffer.slice(end + newline);
            if (line === '') {
                if (data.length > 0) {
                    onEvent({ event: eventName, data: data.join('\n') });
                }
                eventName = 'message';
                data = [];
            }
            else if (!line.startsWith(':')) {
                const colon = line.indexOf(':');
                const field = colon < 0 ? line : line.slice(0, colon);
                const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
                if (field === 'event') {
                    eventName = fieldValue;
                }
                else if (field === 'data') {
                    data.push(fieldValue);
                }
            }
            end = buffer.search(/\r\n|\r|\n/);
        }
    }
}
/** Saves a response body as a file through a temporary blob URL. */
export async function saveResponse(response, fallbackName) {
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const match = /filename="([^"]+)"/.exec(disposition);
    const name = match ? match[1] : fallbackName;
    const blob = await response.blob();
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return name;
}
