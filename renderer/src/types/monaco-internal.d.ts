// Types of the one monaco-editor internal the studio uses (renderer/src/editor/yaml-config.ts).
declare module 'monaco-editor/internal/common/workers.js' {
  import type * as monaco from 'monaco-editor/editor/editor.api';
  export function createWebWorker<T extends object>(opts: {
    moduleId?: string;
    label?: string;
    createData?: unknown;
    host?: Record<string, Function>;
    keepIdleModels?: boolean;
  }): monaco.editor.MonacoWebWorker<T>;
}
