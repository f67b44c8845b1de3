/**
 * Child of `npm run bench`: CPU time of one argon2id hash at the parameters the server under test
 * uses (its environment, read by Gatehouse's own config and hasher), run on the server's core.
 * Prints one JSON line: { cpuMs, wallMs, hashes, processCpuMs (the whole child), memoryKib, timeCost }.
 *
 *   taskset -c 0 node bench/argon2-cpu.ts [count]
 */
import { createPasswordHasher } from '../src/accounts/password-hasher.ts';
import { loadConfig } from '../src/config.ts';

const hashes = Number(process.argv[2] ?? '20');
const { passwordHashing } = loadConfig(process.env);
const hasher = createPasswordHasher(passwordHashing, { maxConcurrent: 1 });
await hasher.hash('warm-up: loads the addon and touches the memory once');
const before = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < hashes; i++) await hasher.hash(`bench-password-${i}`);
const wallMs = (performance.now() - started) / hashes;
const used = process.cpuUsage(before);
const cpuMs = (used.user + used.system) / 1000 / hashes;
const total = process.cpuUsage();
const processCpuMs = (total.user + total.system) / 1000;
process.stdout.write(`${JSON.stringify({ cpuMs, wallMs, hashes, processCpuMs, ...passwordHashing })}\n`);
