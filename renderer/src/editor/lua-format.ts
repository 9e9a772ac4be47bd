// Format Lua with StyLua (its WebAssembly build, loaded on the first use): Monaco's Format Document (Shift+Alt+F;
// Ctrl+Shift+I on Linux) or the palette's "Format the file".
// Two-space indents as the studio's editor uses; Lua 5.1 syntax, the language Nauthilus's gopher-lua runs.
import init, { Config, IndentType, LuaVersion, OutputVerification, formatCode } from '@johnnymorganz/stylua/web';
import { monaco } from '../monaco-env';

/** Where scripts/build-renderer.js puts the WebAssembly (base64 in a script: the desktop page may not fetch). */
const WASM_SCRIPT = './stylua-wasm.js';
let ready: Promise<unknown> | undefined;

declare global {
  interface Window {
    __authstudioStyluaWasm?: string;
  }
}

function loadWasm(): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const done = () => {
      const b64 = window.__authstudioStyluaWasm;
      if (!b64) return reject(new Error(`${WASM_SCRIPT} did not load: rebuild the studio UI (node scripts/build-renderer.js)`));
      delete window.__authstudioStyluaWasm;
      resolve(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    };
    const s = document.createElement('script');
    s.src = WASM_SCRIPT;
    s.onload = done;
    s.onerror = () => reject(new Error(`${WASM_SCRIPT} could not be loaded`));
    document.head.appendChild(s);
  });
}

/** The formatted text; throws StyLua's message (with the line) when the code does not parse. */
export async function formatLua(code: string, tabSize = 2): Promise<string> {
  ready ??= loadWasm().then((bytes) => init({ module_or_path: bytes })).catch((e: unknown) => {
    ready = undefined; // try again next time
    throw e;
  });
  await ready;
  const config = Config.new();
  config.indent_type = IndentType.Spaces;
  config.indent_width = tabSize;
  config.syntax = LuaVersion.Lua51;
  // formatCode takes the config over (and frees it): no config.free() here
  return formatCode(code, config, undefined, OutputVerification.None);
}

/** The document formatter for Lua models (YAML's comes with monaco-yaml). */
export function registerLuaFormatting(onError: (e: unknown) => void): monaco.IDisposable {
  return monaco.languages.registerDocumentFormattingEditProvider('lua', {
    async provideDocumentFormattingEdits(model, options) {
      try {
        const text = await formatLua(model.getValue(), options.tabSize);
        return text === model.getValue() ? [] : [{ range: model.getFullModelRange(), text }];
      } catch (e) {
        onError(e);
        return [];
      }
    },
  });
}
