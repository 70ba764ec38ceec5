/**
 * Cheap checks that an accelerator's libraries are there before ONNX Runtime is asked to open it: without
 * them ONNX Runtime prints native errors to stderr that no log level silences, and the answer is known anyway.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { ExecutionProvider } from './model-session.ts';

/** Where onnxruntime-node keeps libonnxruntime.so and the provider libraries it loads beside it. */
export function onnxRuntimeBinaryDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve('onnxruntime-node/package.json');
    const dir = join(dirname(packageJson), 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

const LIBRARY_DIRS = ['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'];

function findSharedLibrary(name: string, extraDirs: readonly string[]): boolean {
  return [...extraDirs, ...LIBRARY_DIRS].some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/**
 * Why `provider` cannot work on this machine, or undefined when it may (then ONNX Runtime decides).
 * `libraryPath` is LD_LIBRARY_PATH as the composition root read it.
 */
export function providerUnavailableReason(provider: ExecutionProvider, libraryPath = ''): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const extra = libraryPath.split(':');
  if (provider === 'cuda') {
    const dir = onnxRuntimeBinaryDir();
    if (dir === undefined || !existsSync(join(dir, 'libonnxruntime_providers_cuda.so'))) {
      return 'ONNX Runtime CUDA libraries are not installed (see README: GPU)';
    }
    if (!findSharedLibrary('libcudart.so.12', extra) && !findSharedLibrary('libcudart.so.13', extra)) {
      return 'the CUDA runtime (libcudart) is not on the library path';
    }
  }
  if (provider === 'webgpu' && !findSharedLibrary('libvulkan.so.1', extra)) {
    return 'no Vulkan loader (libvulkan.so.1) for WebGPU';
  }
  return undefined;
}
