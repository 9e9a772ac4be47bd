// Monaco, as the studio uses it: the ESM editor API with every editor feature, Lua and YAML, workers and a theme.
//
// `features/register.all` is what brings suggestions, hovers and markers' UI: without it completion silently
// does nothing. The worker is a separate classic script (editor.worker.js, built by scripts/build-renderer.js),
// created directly so that no blob: URL is needed under the page's Content-Security-Policy.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/lua/register';
import 'monaco-editor/languages/definitions/yaml/register';

declare global {
  interface Window {
    MonacoEnvironment?: monaco.Environment;
  }
}

self.MonacoEnvironment = {
  // monaco-yaml's language service (completion, hover and validation from the config's JSON Schema) runs in its own worker
  getWorker: (_workerId: string, label: string) => new Worker(label === 'yaml' ? './yaml.worker.js' : './editor.worker.js', { name: label }),
};

monaco.editor.defineTheme('authstudio', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#1b1f27',
    'editorGutter.background': '#1b1f27',
    'editor.lineHighlightBackground': '#232a36',
  },
});

export { monaco };
