import { describeHostileApi } from './support/hostile-api-suite';
import { freshStore } from '../support/test-table';

// The whole corpus on DynamoDB Local (test:slow); on the in-memory store in hostile-api.test.ts.
describeHostileApi('DynamoDB Local', freshStore);
