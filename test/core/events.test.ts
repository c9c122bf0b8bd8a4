/** The functions' event parsers: good events pass through typed, bad ones fail in one message shape. */
import { describe, expect, it } from "vitest";
import { ConfigError, TriggerEventError } from "../../functions/core/errors";
import {
  parseInflateEvent,
  parseObjectCreatedEvent,
  parsePlanEvent,
  parseRangeTask,
  parseReduceEvent,
} from "../../functions/core/events";

/** `<function> input: <what is wrong>; expected <shape>; got <event>; <what to do>`, on one line. */
function expectRejection(
  parse: () => unknown,
  errorClass: new (message: string) => Error,
  input: string,
  problem: string,
) {
  let error: unknown;
  try {
    parse();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(errorClass);
  const message = (error as Error).message;
  expect(message).not.toContain("\n");
  expect(message.startsWith(`${input}: ${problem}; expected `)).toBe(true);
  expect(message).toMatch(/; expected .+; got .+; \S.+$/);
  return message;
}

function objectCreatedEvent(key: string, etag = "0cc175b9c0f1b6a831c399e269772661", bucket = "logs") {
  return {
    version: "0",
    id: "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "123456789012",
    time: "2026-11-24T00:00:00Z",
    region: "us-east-1",
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: "0",
      bucket: { name: bucket },
      object: { key, size: 5, etag, sequencer: "617f08299329d189" },
      "request-id": "N4N7GDK58NMKJ12R",
      requester: "123456789012",
      reason: "PutObject",
    },
  };
}

describe("parseInflateEvent", () => {
  const good = { runId: "r1", bucket: "input", key: "incoming/a.zip" };

  it("passes a good event through", () => {
    expect(parseInflateEvent(good)).toBe(good);
  });

  it.each([
    ["runId", {}],
    ["bucket", { runId: "r1", key: "k" }],
    ["key", { runId: "r1", bucket: "input", key: "" }],
  ])('names the first bad field, "%s"', (field, event) => {
    expectRejection(
      () => parseInflateEvent(event),
      ConfigError,
      "inflate input",
      `"${field}" must be a non-empty string`,
    );
  });

  it("rejects null, showing what came", () => {
    const message = expectRejection(
      () => parseInflateEvent(null),
      ConfigError,
      "inflate input",
      '"runId" must be a non-empty string',
    );
    expect(message).toContain("; got null;");
  });

  it("rejects no event at all, saying so", () => {
    const message = expectRejection(
      () => parseInflateEvent(undefined),
      ConfigError,
      "inflate input",
      '"runId" must be a non-empty string',
    );
    expect(message).toContain("; got undefined;");
  });
});

describe("parsePlanEvent", () => {
  const archive = { format: "zip", bucket: "input", key: "incoming/a.zip", size: 10, member: "a.csv" };

  it("passes a good event through, run settings and archive included", () => {
    const event = { runId: "r1", bucket: "work", key: "runs/r1/staged.csv", rangeBytes: 1024, archive };
    expect(parsePlanEvent(event)).toBe(event);
  });

  it("passes a plain object's event (no archive) and a gzip member's event through", () => {
    const plain = { runId: "r1", bucket: "input", key: "incoming/a.csv" };
    const gzip = { ...plain, key: "runs/r1/staged.csv", archive: { ...archive, format: "gzip" } };

    expect(parsePlanEvent(plain)).toBe(plain);
    expect(parsePlanEvent(gzip)).toBe(gzip);
  });

  it("names a missing field", () => {
    expectRejection(
      () => parsePlanEvent({ bucket: "input" }),
      ConfigError,
      "plan input",
      '"runId" must be a non-empty string',
    );
  });

  it.each([
    ["null", null],
    ["an unknown format", { ...archive, format: "bzip2" }],
    ["no member", { ...archive, member: undefined }],
  ])("rejects an archive with %s", (_, bad) => {
    expectRejection(
      () => parsePlanEvent({ runId: "r1", bucket: "work", key: "k", archive: bad }),
      ConfigError,
      "plan input",
      `"archive" must be the inflate stage's {"format":"zip"|"gzip","bucket","key","size","member"}`,
    );
  });

  it("clips a long event to one readable line", () => {
    const message = expectRejection(
      () => parsePlanEvent({ runId: "r1", bucket: "b", padding: "x".repeat(5000) }),
      ConfigError,
      "plan input",
      '"key" must be a non-empty string',
    );
    expect(message.length).toBeLessThan(800);
    expect(message).toContain("…");
  });
});

describe("parseRangeTask", () => {
  const task = { version: 1, runId: "r1", planKey: "runs/r1/plan.json", index: 3 };

  it("passes a RangeTask through", () => {
    expect(parseRangeTask(task)).toBe(task);
  });

  it.each([
    ['"version" must be 1', { ...task, version: 2 }],
    ['"planKey" must be a string', { ...task, planKey: 7 }],
    ['"index" must be a whole number', { ...task, index: 1.5 }],
    ['"version" must be 1', {}],
  ])("rejects: %s", (problem, event) => {
    expectRejection(() => parseRangeTask(event), ConfigError, "map input", problem);
  });
});

describe("parseReduceEvent", () => {
  it("passes both of the reducer's events through", () => {
    const reduce = { planKey: "runs/r1/plan.json" };
    const failure = {
      rangeFailure: { runId: "r1", resultsPrefix: "runs/r1/map-run", error: "E", cause: "C" },
    };
    expect(parseReduceEvent(reduce)).toBe(reduce);
    expect(parseReduceEvent(failure)).toBe(failure);
  });

  it("rejects an event without planKey", () => {
    const message = expectRejection(
      () => parseReduceEvent({}),
      ConfigError,
      "reduce input",
      '"planKey" must be a string',
    );
    expect(message).toContain("; got {};");
  });

  it.each([
    ["a string", "runs/r1/plan.json"],
    ["a number", 7],
    ["no event", undefined],
  ])("rejects %s in place of an event object", (_, event) => {
    expectRejection(() => parseReduceEvent(event), ConfigError, "reduce input", '"planKey" must be a string');
  });

  it.each([
    ["null", null],
    ["no resultsPrefix", { runId: "r1" }],
    ["no runId", { resultsPrefix: "runs/r1/map-run" }],
  ])("rejects a rangeFailure request with %s", (_, request) => {
    expectRejection(
      () => parseReduceEvent({ rangeFailure: request }),
      ConfigError,
      "reduce input",
      '"rangeFailure" needs "runId" and "resultsPrefix" (strings)',
    );
  });
});

describe("parseObjectCreatedEvent", () => {
  it("reads bucket, key, ETag and sequencer", () => {
    expect(parseObjectCreatedEvent(objectCreatedEvent("incoming/a.csv", "e1"))).toEqual({
      bucket: "logs",
      key: "incoming/a.csv",
      etag: "e1",
      sequencer: "617f08299329d189",
    });
  });

  it("leaves out a sequencer that is not a string", () => {
    const event = objectCreatedEvent("incoming/a.csv", "e1");
    const withNumber = {
      ...event,
      detail: { ...event.detail, object: { ...event.detail.object, sequencer: 7 } },
    };

    expect(parseObjectCreatedEvent(withNumber)).toEqual({
      bucket: "logs",
      key: "incoming/a.csv",
      etag: "e1",
    });
  });

  it.each([
    [
      "an S3 notification record",
      '"source" must be "aws.s3"',
      { Records: [{ s3: { object: { key: "a.csv" } } }] },
    ],
    [
      "another detail type",
      '"detail-type" must be "Object Created"',
      { ...objectCreatedEvent("a.csv"), "detail-type": "Object Deleted" },
    ],
    [
      "an event without an ETag",
      '"detail.object.etag" must be a non-empty string',
      { ...objectCreatedEvent("a.csv"), detail: { bucket: { name: "b" }, object: { key: "a.csv" } } },
    ],
    [
      "an event without a key",
      '"detail.object.key" must be a non-empty string',
      { ...objectCreatedEvent("a.csv"), detail: { bucket: { name: "b" }, object: { etag: "e" } } },
    ],
    [
      "an empty bucket name",
      '"detail.bucket.name" must be a non-empty string',
      {
        ...objectCreatedEvent("a.csv"),
        detail: { bucket: { name: "" }, object: { key: "a.csv", etag: "e" } },
      },
    ],
    ["null", '"source" must be "aws.s3"', null],
  ])("rejects %s, showing the expected shape and what came", (_, problem, event) => {
    const message = expectRejection(
      () => parseObjectCreatedEvent(event),
      TriggerEventError,
      "trigger input",
      problem,
    );
    expect(message).toContain(
      '; expected an EventBridge event {"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name"},"object":{"key","etag"}}}; got ',
    );
  });
});
