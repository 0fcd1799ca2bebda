// Per test worker: the Temporal SDK's own INFO chatter stays out of the test output.
import { createLogger } from '../../src/logger';
import { installTemporalRuntimeLogger } from '../../src/temporal/runtime-logger';

installTemporalRuntimeLogger(createLogger('warn'));
