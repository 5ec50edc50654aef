import type {SqlUnit} from './analysis.js';

/**
 * Where a statement that may not run in a transaction block runs instead, by who opened the
 * transaction: zdm (a sql operation with other statements), the file's own BEGIN, or a migration
 * tool that wraps every file (--assume-in-transaction).
 */
export function outsideTransactionHint(unit: SqlUnit): {where: string; hint: string} {
	if (unit.step) return {where: 'a sql operation with other statements runs in one', hint: 'give it a sql operation of its own: zdm runs a lone CONCURRENTLY statement outside any transaction'};
	if (unit.wrapped) return {where: 'your migration tool runs the file in one', hint: 'move it to a migration the tool runs without a transaction (e.g. Rails disable_ddl_transaction!, goose -- +goose NO TRANSACTION)'};
	return {where: 'it is between BEGIN and COMMIT', hint: 'move it out of BEGIN … COMMIT: psql runs it on its own'};
}
