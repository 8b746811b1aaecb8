// The product's engine worker: the engine loop with no extra operations.
import { serveEngine } from './serve.ts';

serveEngine();
