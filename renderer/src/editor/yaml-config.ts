// The config editor's help: completion, hover and validation of every key from the engine's own schema, as JSON
// Schema (renderer/src/generated/config-schema.json, written by scripts/gen-config-schema.js) through monaco-yaml.
// The 1.x or the 3.x layout is chosen by what the file holds (a 3.x file has runtime/storage/auth/... at the top).
import { configureMonacoYaml, type MonacoYaml } from 'monaco-yaml';
// monaco-editor 0.57's own language workers start through this createWebWorker (label and createData reach the
// worker); the public monaco.editor.createWebWorker that monaco-yaml calls takes neither any more.
import { createWebWorker } from 'monaco-editor/internal/common/workers.js';
import schemas from '../generated/config-schema.json';
import { monaco } from '../monaco-env';

type Layout = keyof typeof schemas;

const V3_TOP = /^(runtime|observability|storage|auth|identity|plugins)\s*:/m;

/** Which layout a config text is in. */
export function layoutOf(text: string): Layout {
  return V3_TOP.test(text) ? '3.x' : '1.x';
}

export class ConfigSchema {
  private readonly yaml: MonacoYaml;
  private configUri: string | undefined;
  private layout: Layout = '1.x';

  constructor() {
    const monacoForYaml = { ...monaco, editor: { ...monaco.editor, createWebWorker } } as unknown as typeof monaco;
    this.yaml = configureMonacoYaml(monacoForYaml, {
      enableSchemaRequest: false, hover: true, completion: true, validate: true, format: { enable: false }, // editor/yaml-format.ts formats on the page isKubernetes: false, schemas: [],
    });
    monaco.editor.onDidCreateModel((m) => this.watch(m));
    for (const m of monaco.editor.getModels()) this.watch(m);
  }

  /** The workspace's config file (workspace-relative); the schema applies to it only. */
  setConfigFile(uri: monaco.Uri | undefined): void {
    // the status arrives every few seconds: an update restarts monaco-yaml's worker, so only when it changed
    if (uri?.toString() === this.configUri) return;
    this.configUri = uri?.toString();
    const model = uri ? monaco.editor.getModel(uri) : null;
    if (model) this.layout = layoutOf(model.getValue());
    this.apply();
  }

  private watch(model: monaco.editor.ITextModel): void {
    const check = () => {
      if (model.uri.toString() !== this.configUri) return;
      const l = layoutOf(model.getValue());
      if (l === this.layout) return;
      this.layout = l;
      this.apply();
    };
    check();
    model.onDidChangeContent(check);
  }

  private apply(): void {
    if (!this.configUri) return;
    void this.yaml.update({
      schemas: [{ uri: `authstudio://config-schema/${this.layout}.json`, fileMatch: [this.configUri], schema: schemas[this.layout] as never }],
    });
  }
}
