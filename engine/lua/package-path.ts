// `package.path` as Nauthilus 1.10 sets it (server/lualib/packagepath.go) and the templates require may read here.

/** gopher-lua 1.1.1's default package.path on Unix (LUA_PATH unset). */
export const GOPHER_LUA_PATH = './?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/share/lua/5.1/?/init.lua';

/** The folders Nauthilus 1.10 always appends to package.path. */
export const NAUTHILUS_DEFAULT_PATH = '/usr/local/share/nauthilus/lua/?.lua;/usr/share/nauthilus/lua/?.lua;/usr/app/lua-plugins.d/share/?.lua';

/** Nauthilus's lua.config.package_path when the config leaves it out (definitions.LuaPackagePath). */
export const NAUTHILUS_CONFIG_PATH = '/usr/local/share/nauthilus/lua/?.lua';

/** The package.path string scripts see: gopher-lua's default, Nauthilus's folders, then the configured path. */
export function nauthilusPackagePath(configured: string | undefined): string {
  return `${GOPHER_LUA_PATH};${NAUTHILUS_DEFAULT_PATH};${configured || NAUTHILUS_CONFIG_PATH}`;
}

/**
 * The templates require reads, in Nauthilus's order: its default folders are host folders outside the
 * workspace, read only with lua_allow_io (as any host file); then the configured package_path. gopher-lua's
 * own entries (relative to the process's working directory) are never read.
 */
export function searchTemplates(configured: string | undefined, allowIo: boolean): string[] {
  const defaults = allowIo ? `${NAUTHILUS_DEFAULT_PATH};${configured ? '' : NAUTHILUS_CONFIG_PATH}` : '';
  return `${defaults};${configured ?? ''}`.split(';').filter((t) => t !== '');
}
