/**
 * libuv's threadpool (4 threads unless told otherwise) runs every WebCrypto signature oidc-provider
 * makes through jose (each RS256 token: ~0.7 ms), argon2 password hashing (~25 ms each at the
 * OWASP parameters) and async fs. Its queue is first-in first-out: 32 sign-ins in a burst queue
 * 32 hashes, and a token signature queued behind them waits for all of them (~200 ms on 4
 * threads). So:
 *  - at most one hash per core runs at once (more cannot go faster; accounts/password-hasher.ts
 *    queues the rest in-process);
 *  - the pool has two threads more than that, so signing never waits for a hash to finish.
 *
 * libuv creates the pool on first use and reads UV_THREADPOOL_SIZE then: main.ts imports this
 * module first. An operator's own UV_THREADPOOL_SIZE wins.
 */
import { availableParallelism } from 'node:os';

export const THREADPOOL_SIZE = Math.max(4, availableParallelism() + 2);

process.env.UV_THREADPOOL_SIZE ??= String(THREADPOOL_SIZE);
