import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelFromCommandLine } from './model.js';

test('reads the served model from common command lines', () => {
  const cases: Array<[string[], string | null]> = [
    [
      ['/usr/bin/python3', '/usr/local/bin/vllm', 'serve', 'mistralai/Mistral-7B-Instruct-v0.1', '--port', '8000'],
      'mistralai/Mistral-7B-Instruct-v0.1',
    ],
    [['vllm', 'serve', '--help'], null],
    [
      ['python3', '-m', 'vllm.entrypoints.openai.api_server', '--model', 'meta-llama/Meta-Llama-3-8B-Instruct'],
      'meta-llama/Meta-Llama-3-8B-Instruct',
    ],
    [['python', '-m', 'sglang.launch_server', '--model-path', 'Qwen/Qwen2-7B'], 'Qwen/Qwen2-7B'],
    [['text-generation-launcher', '--model-id=bigcode/starcoder'], 'bigcode/starcoder'],
    [['python', 'train.py', '--model_name_or_path', 'gpt2', '--epochs', '3'], 'gpt2'],
    [['python', 'train.py', '--model', '--lr', '1e-3'], null],
    [['jupyter-lab'], null],
  ];
  for (const [argv, model] of cases) assert.equal(modelFromCommandLine(argv), model, argv.join(' '));
});
