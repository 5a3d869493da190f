import { build } from './src/build/build.ts';
import { memoryLogger } from './src/log.ts';
const s = await build({ cacheDir: process.argv[2]!, outDir: process.argv[3]!, log: memoryLogger() });
console.log(s.incremental, s.phases);
