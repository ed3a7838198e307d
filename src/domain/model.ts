// The model a GPU process serves, read from its command line (vLLM, SGLang, TGI, HF scripts).

const MODEL_FLAGS = ['--model', '--model-path', '--model-id', '--model_name_or_path', '--model-name-or-path'];

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export function modelFromCommandLine(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    for (const flag of MODEL_FLAGS) {
      if (arg === flag && argv[i + 1] && !argv[i + 1]!.startsWith('-')) return argv[i + 1]!;
      if (arg.startsWith(`${flag}=`) && arg.length > flag.length + 1) return arg.slice(flag.length + 1);
    }
  }
  // `vllm serve X`, also as `python -m vllm.entrypoints.cli.main serve X`.
  const vllm = argv.findIndex((a) => basename(a) === 'vllm' || a.startsWith('vllm.'));
  if (vllm >= 0 && argv[vllm + 1] === 'serve') {
    const model = argv[vllm + 2];
    if (model && !model.startsWith('-')) return model;
  }
  return null;
}
