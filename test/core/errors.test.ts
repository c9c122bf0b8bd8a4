/**
 * The error hierarchy: every product error carries its stable code and is named after its class
 * (what logs, the CLI and the state machine's Catch rules see), whatever its message.
 */
import { describe, expect, it } from "vitest";
import {
  CommitConflictError,
  ConfigError,
  ContractError,
  CorruptRecordError,
  CoverageError,
  EtlError,
  IncompleteReadError,
  InputRejectedError,
  ObjectDeleteError,
  PreconditionFailedError,
  TriggerEventError,
} from "../../functions/core/errors";

describe("EtlError", () => {
  it.each([
    { error: new InputRejectedError("m"), name: "InputRejectedError", code: "INPUT_REJECTED" },
    { error: new CorruptRecordError("m", 0, "r"), name: "CorruptRecordError", code: "CORRUPT_RECORD" },
    { error: new CoverageError("m"), name: "CoverageError", code: "COVERAGE_FAILED" },
    { error: new ContractError("m"), name: "ContractError", code: "CONTRACT_MISMATCH" },
    { error: new ConfigError("m"), name: "ConfigError", code: "BAD_CONFIG" },
    { error: new PreconditionFailedError("m"), name: "PreconditionFailedError", code: "PRECONDITION_FAILED" },
    { error: new CommitConflictError("m"), name: "CommitConflictError", code: "COMMIT_CONFLICT" },
    { error: new IncompleteReadError("m"), name: "IncompleteReadError", code: "INCOMPLETE_READ" },
    { error: new TriggerEventError("m"), name: "TriggerEventError", code: "BAD_TRIGGER_EVENT" },
    { error: new ObjectDeleteError("m"), name: "ObjectDeleteError", code: "DELETE_FAILED" },
  ])("$name has the code $code, its class's name and the message it was given", ({ error, name, code }) => {
    expect(error).toBeInstanceOf(EtlError);
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.message]).toEqual([name, code, "m"]);
    expect(String(error)).toBe(`${name}: m`);
  });

  it("a corrupt record error carries the record's byte offset and the reason it is corrupt", () => {
    // Act
    const error = new CorruptRecordError("corrupt record at byte 42: bad date", 42, "bad date");

    // Assess
    expect([error.offset, error.reason, error.message]).toEqual([
      42,
      "bad date",
      "corrupt record at byte 42: bad date",
    ]);
  });
});
