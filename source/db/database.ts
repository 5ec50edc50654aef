/** The database port is the core's (core/ports.ts); db/ implements it. Re-exported for db/'s own code. */
export {sqlState, type Database, type Queryable, type QueryResult, type Row, type Session, type SessionOptions} from '../core/ports.js';
