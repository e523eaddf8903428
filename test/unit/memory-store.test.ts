import { MemoryRunStore } from '../../src/runs/store';
import { runStoreContract } from './run-store-contract';

runStoreContract('MemoryRunStore', async () => new MemoryRunStore());
