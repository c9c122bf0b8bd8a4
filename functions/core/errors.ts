/**
 * The product's error hierarchy. Every error has a stable `code` and a one-line message that
 * says what was received, where, and what to do.
 */
export abstract class EtlError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input object cannot be processed at all (empty, no header, wrong header, compressed). */
export class InputRejectedError extends EtlError {
  readonly code = "INPUT_REJECTED";
}

/** failfast mode met a corrupt record. */
export class CorruptRecordError extends EtlError {
  readonly code = "CORRUPT_RECORD";
  constructor(
    message: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** The ranges' partials do not tile the file exactly, or their counts do not add up. */
export class CoverageError extends EtlError {
  readonly code = "COVERAGE_FAILED";
}

/** A contract document (plan, partial, manifest) has an unknown format or version. */
export class ContractError extends EtlError {
  readonly code = "CONTRACT_MISMATCH";
}

/** A setting (env, CLI flag, execution input) is missing or invalid. */
export class ConfigError extends EtlError {
  readonly code = "BAD_CONFIG";
}

/** A conditional write found the object changed since it was read (S3's 412). */
export class PreconditionFailedError extends EtlError {
  readonly code = "PRECONDITION_FAILED";
}

/** A run may not commit its outputs: a later run of the source committed, or another source owns the partition. */
export class CommitConflictError extends EtlError {
  readonly code = "COMMIT_CONFLICT";
}

/** A read of the input returned other than the bytes asked for (a connection cut short): transient. */
export class IncompleteReadError extends EtlError {
  readonly code = "INCOMPLETE_READ";
}

/** The trigger's event is not an S3 "Object Created" event it can act on. */
export class TriggerEventError extends EtlError {
  readonly code = "BAD_TRIGGER_EVENT";
}

/** S3 refused to delete some keys; DeleteObjects still answers 200 and lists them in `Errors`. */
export class ObjectDeleteError extends EtlError {
  readonly code = "DELETE_FAILED";
}
