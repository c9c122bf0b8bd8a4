/**
 * readDecoded reads a work document again when it came cut short (IncompleteReadError, a
 * SyntaxError from decoding, a failed transfer), up to READ_ATTEMPTS reads, and never re-reads
 * for the product's own deterministic errors.
 */
import { describe, expect, it } from "vitest";
import { ContractError, IncompleteReadError } from "../../functions/core/errors";
import {
  getJson,
  type ObjectStore,
  putJson,
  READ_ATTEMPTS,
  readDecoded,
} from "../../functions/core/object-store";
import { memoryObjectStore } from "../helpers/memory-object-store";

/** A store whose get answers from `answers` in turn (a value, or an error to throw). */
function storeAnswering(answers: (string | Error)[]): ObjectStore & { gets: number } {
  const store = {
    gets: 0,
    name: "test",
    async get() {
      const answer = answers[Math.min(store.gets++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return Buffer.from(answer);
    },
  };
  return store as unknown as ObjectStore & { gets: number };
}

describe("readDecoded", () => {
  it("reads again after a read cut short or a reset transfer, and returns the good read", async () => {
    const store = storeAnswering(['{"a":', new Error("aborted"), '{"a":1}']);
    expect(await getJson(store, "k")).toEqual({ a: 1 });
    expect(store.gets).toBe(3);
  });

  it("throws the last failure after READ_ATTEMPTS reads", async () => {
    const store = storeAnswering(["x"]);
    const decode = () => {
      throw new IncompleteReadError("cut short");
    };
    await expect(readDecoded(store, "k", decode)).rejects.toThrow(IncompleteReadError);
    expect(store.gets).toBe(READ_ATTEMPTS);
  });

  it("does not read again for a deterministic error", async () => {
    const store = storeAnswering(["x"]);
    const decode = () => {
      throw new ContractError("another version");
    };
    await expect(readDecoded(store, "k", decode)).rejects.toThrow(ContractError);
    expect(store.gets).toBe(1);
  });
});

describe("putJson / getJson", () => {
  it("writes a work document as JSON, typed application/json, that getJson reads back", async () => {
    const store = memoryObjectStore();
    const doc = { version: 1, runId: "r1", ranges: [{ start: 0, end: 10 }] };

    await putJson(store, "runs/r1/plan.json", doc);

    expect(store.types.get("runs/r1/plan.json")).toBe("application/json");
    expect(JSON.parse(Buffer.from(store.objects.get("runs/r1/plan.json")!).toString("utf8"))).toEqual(doc);
    expect(await getJson(store, "runs/r1/plan.json")).toEqual(doc);
  });
});
