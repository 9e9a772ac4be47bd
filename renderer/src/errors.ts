// What a failed studio call means for the user: a short title and what to do about it.
import { StudioError } from '../../engine/api/contract';

export interface Explained {
  title: string;
  hint: string;
  /** Workspace file and line to jump to, when the error has one. */
  location?: { file: string; line?: number };
}

const HINTS: Record<string, string> = {
  AS_ERR_LUA_SYNTAX: 'Fix the line shown; the previous version keeps serving until the script compiles.',
  AS_ERR_CONFIG_UNKNOWN_KEY: 'Check the spelling of the key in authstudio.yml.',
  AS_ERR_UNAUTHORIZED: 'Open the studio with its token: add #token=<token> to the address.',
  AS_ERR_NOT_FOUND: 'The file or key no longer exists: refresh the list.',
  AS_ERR_BAD_REQUEST: 'Correct the value named in the message and try again.',
  AS_ERR_LUA: 'Open the script at the line shown and fix it; the previous version keeps serving meanwhile.',
  AS_ERR_CONFIG: 'Fix authstudio.yml at the line shown; the previous configuration keeps serving meanwhile.',
  AS_ERR_POOL_BUSY: 'Too many requests at once: lower the traffic rate or raise max_concurrent_requests.',
  AS_ERR_REDIS: 'Check that the Redis server is running and the URL is right, or switch back to the embedded Redis.',
  AS_ERR_PATH_REFUSED: 'Use a path inside the workspace (no "..", no absolute paths, nothing under .authstudio/).',
  AS_ERR_FILE_EXISTS: 'Pick another name, or open the existing file from the tree.',
  AS_ERR_FILE_CONFLICT: 'The file changed on disk since you opened it: load the disk version, or save again to overwrite it.',
  AS_ERR_STUDIO_UNREACHABLE: 'Start it again with `authstudio studio` (or `npm start`), then reload this page.',
  AS_ERR_INTERNAL: 'Check that `authstudio studio` is still running; its console shows the details.',
};

/** Explain any thrown value; StudioErrors keep their code's hint. */
export function explain(e: unknown): Explained {
  if (e instanceof StudioError || (e && typeof e === 'object' && 'code' in e && 'message' in e)) {
    const err = e as StudioError;
    const prefix = Object.keys(HINTS).find((k) => err.code === k) ?? Object.keys(HINTS).find((k) => err.code?.startsWith(k));
    let hint = (prefix && HINTS[prefix]) ?? (err.status >= 500 ? HINTS.AS_ERR_INTERNAL : HINTS.AS_ERR_BAD_REQUEST);
    if (err.info?.path === 'base_version') hint = HINTS.AS_ERR_FILE_CONFLICT;
    const loc = err.info?.location;
    return { title: err.message, hint, location: loc ? { file: loc.file, line: loc.line } : undefined };
  }
  return { title: (e as Error)?.message ?? String(e), hint: HINTS.AS_ERR_INTERNAL };
}
