import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where lambda-mpi's own code lives, so a rank's stack can be cut down to the user's program for
 * API clients. On Lambda all of it is one file, the function's bundle (this module among it);
 * from the sources it is the src/ folder this module is in.
 */
const here = fileURLToPath(import.meta.url);
const OWN_CODE = here.endsWith('.ts') ? join(dirname(here), '..') + sep : here;

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
  if (/^(node:|internal\/|<anonymous>|native)/.test(location) || location === 'new Promise (<anonymous>)') return false;
  const file = location.startsWith('file://') ? safePath(location.replace(/:\d+:\d+$/, '')) : location.replace(/:\d+:\d+$/, '');
  return !(file === OWN_CODE || file.startsWith(OWN_CODE));
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
