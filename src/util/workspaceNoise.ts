/**
 * File events the engine ignores: version-control internals and installed dependencies change in bulk (a checkout,
 * an `npm install`) and are never packed anyway (`.git` is skipped, `node_modules` is a default exclude).
 */
const NOISE = /[\\/](\.git|node_modules)([\\/]|$)/;

export function isWorkspaceNoise(fsPath: string): boolean {
  return NOISE.test(fsPath);
}
