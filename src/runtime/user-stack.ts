import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where lambda-mpi's own code lives, so a rank's stack can be cut down to the user's program for
 * API clients and the CLI. On Lambda it is the functions' bundles, side by side in one folder (a
 * worker's stack names the worker's bundle, recorded by rank 0's); from the sources or an installed
 * package it is the src/ or dist/ folder whose runtime/ this module is in.
 */
const here = dirname(fileURLToPath(import.meta.url));
const OWN_CODE = join(here, basename(here) === 'runtime' ? '..' : '.') + sep;
/**
 * Code that is neither the user's nor lambda-mpi's: Node's, Lambda's runtime, an emulator's. A
 * shipped program's npm dependencies are inside its bundle, so a node_modules path is never the user's.
 */
const PLATFORM = /^(node:|internal\/|native|<anonymous>)|^\/var\/runtime\/|[\\/]node_modules[\\/]/;

/**
 * The user's part of a stack: its first line (the error's type and message) and the frames of
 * the user's own program, as the source map of a shipped program names them; frames of
 * lambda-mpi itself and of Node's internals go. Undefined when no frame of the user's remains (a
 * bundled program, or an error raised by lambda-mpi).
 */
export function userStack(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  const lines = stack.split('\n');
  const firstFrame = lines.findIndex((line) => /^\s+at /.test(line));
  if (firstFrame < 0) return undefined;
  const frames = lines.slice(firstFrame).filter((line) => /^\s+at /.test(line) && isUserFrame(line));
  return frames.length > 0 ? [...lines.slice(0, firstFrame), ...frames].join('\n') : undefined;
}

function isUserFrame(frame: string): boolean {
  const location = /\((.*)\)$/.exec(frame)?.[1] ?? frame.replace(/^\s+at (async )?/, '');
  const file = location.startsWith('file://') ? safePath(location.replace(/:\d+:\d+$/, '')) : location.replace(/:\d+:\d+$/, '');
  return !PLATFORM.test(file) && !file.startsWith(OWN_CODE);
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
