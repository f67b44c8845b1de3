/**
 * Why the server (or the CLI opening storage itself) could not start, in one line an operator can
 * act on: which port, which store, which directory, and the variable to change. Never a stack.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AdminSocketRefused } from './admin/socket.ts';
import { ConfigError } from './config.ts';
import { EmbeddedDataDirBusy } from './storage/embedded-lock.ts';
import { firstLine, StoreUnreachable } from './storage/unreachable.ts';

interface SystemError {
  code?: string;
  syscall?: string;
  path?: string;
  address?: string;
  port?: number;
  message?: string;
}

/** The uid owning `path`, or the nearest existing directory above it. */
function ownerOf(path: string): number | undefined {
  for (let current = resolve(path); ; current = dirname(current)) {
    try {
      return statSync(current).uid;
    } catch {
      if (dirname(current) === current) return undefined;
    }
  }
}

function listenProblem(error: SystemError): string | undefined {
  if (error.syscall !== 'listen' && error.syscall !== 'bind') return undefined;
  const where = `${error.address ?? ''}:${error.port ?? ''}`;
  if (error.code === 'EADDRINUSE') return `port ${error.port} on ${error.address} is already in use (another Gatehouse or another program): stop it, or set PORT`;
  if (error.code === 'EACCES') return `not allowed to listen on ${where} (ports below 1024 need privileges): set PORT`;
  if (error.code === 'EADDRNOTAVAIL') return `${error.address} is not an address of this machine: set GATEHOUSE_HOST`;
  return undefined;
}

function permissionProblem(error: SystemError, directories: Array<[string, string]>): string | undefined {
  if ((error.code !== 'EACCES' && error.code !== 'EPERM') || !error.path) return undefined;
  const owner = ownerOf(error.path);
  const uid = process.getuid?.();
  const variable = directories.find(([, dir]) => resolve(error.path ?? '').startsWith(resolve(dir)))?.[0];
  const whose = owner !== undefined && owner !== uid ? `; it belongs to uid ${owner} and Gatehouse runs as uid ${uid}` : '';
  const fix = variable ? `: run Gatehouse as the directory's owner, or set ${variable} to a directory this user owns` : '';
  return `permission denied on ${error.path}${whose}${fix}`;
}

interface Directories {
  dataDir?: string;
  keysDir?: string;
}

/** The one-line reason for a failure to start, whatever it was. */
export function describeStartError(error: unknown, directories: Directories = {}): string {
  return startProblem(error, directories) ?? `failed to start: ${firstLine(String((error as SystemError | undefined)?.message ?? error))}`;
}

/** The operator-facing reason when the failure is one we know (a port, a store, a directory, the config); undefined otherwise. */
export function startProblem(error: unknown, directories: Directories = {}): string | undefined {
  if (error instanceof ConfigError) return `configuration error: ${error.message}`;
  if (error instanceof StoreUnreachable) {
    return `${error.message} — is it running? (${error.store === 'Postgres' ? 'DATABASE_URL' : 'REDIS_URL'})`;
  }
  if (error instanceof EmbeddedDataDirBusy || error instanceof AdminSocketRefused) return error.message;
  const system = (error ?? {}) as SystemError;
  return (
    listenProblem(system) ??
    permissionProblem(system, [
      ...(directories.dataDir ? [['GATEHOUSE_DATA_DIR', directories.dataDir] as [string, string]] : []),
      ...(directories.keysDir ? [['GATEHOUSE_KEYS_DIR', directories.keysDir] as [string, string]] : []),
    ])
  );
}
