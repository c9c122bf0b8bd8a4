import { generateEdgarDay } from "../../local/generate";

/** A synthetic EDGAR day of about `bytes` bytes, whole in memory: what the generator streams. */
export function generatedDay(bytes: number, seed: number): Buffer {
  return Buffer.concat([...generateEdgarDay({ bytes, seed })]);
}
