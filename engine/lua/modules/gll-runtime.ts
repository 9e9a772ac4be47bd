// `runtime` (nauthilus_gll_runtime): gopher-lua-libs v0.7.0's goos() / goarch(), answered with Go's names for
// the platform node runs on (linux, darwin, windows; amd64, arm64, ...).
import type { LuaModule } from '../module';

const GOOS: Record<string, string> = { win32: 'windows', sunos: 'solaris', cygwin: 'windows' };
const GOARCH: Record<string, string> = {
  x64: 'amd64', ia32: '386', mipsel: 'mipsle', ppc64: 'ppc64le', ppc: 'ppc', loong64: 'loong64',
};

/** Go's runtime.GOOS for node's process.platform. */
export function goOs(platform: string = process.platform): string {
  return GOOS[platform] ?? platform;
}

/** Go's runtime.GOARCH for node's process.arch (node's ppc64 is the little-endian port). */
export function goArch(arch: string = process.arch): string {
  return GOARCH[arch] ?? arch;
}

export const gllRuntimeModule: LuaModule = {
  name: 'runtime',
  legacyLoaderName: 'nauthilus_gll_runtime',
  summary: "The engine's platform in Go's names: goos(), goarch() (gopher-lua-libs v0.7.0).",
  install() {
    const os = goOs();
    const arch = goArch();
    return { functions: { goos: () => os, goarch: () => arch } };
  },
};
