/** Where the model may run (MOTIF_DEVICE): `auto` tries CUDA, then WebGPU, then the CPU. */
export const DEVICES = ['auto', 'cuda', 'webgpu', 'cpu'] as const;
export type Device = (typeof DEVICES)[number];
