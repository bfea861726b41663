import { describeHostileApi } from './support/hostile-api-suite';
import { memoryStore } from '../support/memory-table';

// The whole corpus on the in-memory store; on DynamoDB Local in hostile-api-dynamodb.test.ts (test:slow).
describeHostileApi('in-memory store', memoryStore);
