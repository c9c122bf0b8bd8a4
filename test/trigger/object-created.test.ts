/** Reading EventBridge "Object Created" events and the keys they may stand for. */
import { describe, expect, it } from "vitest";
import {
  chooseKey,
  isPipelineInput,
  keyCandidates,
  parseObjectCreatedEvent,
  TriggerEventError,
} from "../../functions/trigger/object-created";

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

describe("parseObjectCreatedEvent", () => {
  it("reads bucket, key, ETag and sequencer", () => {
    expect(parseObjectCreatedEvent(objectCreatedEvent("incoming/a.csv", "e1"))).toEqual({
      bucket: "logs",
      key: "incoming/a.csv",
      etag: "e1",
      sequencer: "617f08299329d189",
    });
  });

  it.each([
    ["an S3 notification record", { Records: [{ s3: { object: { key: "a.csv" } } }] }],
    ["another detail type", { ...objectCreatedEvent("a.csv"), "detail-type": "Object Deleted" }],
    [
      "an event without an ETag",
      { ...objectCreatedEvent("a.csv"), detail: { bucket: { name: "b" }, object: { key: "a.csv" } } },
    ],
    ["null", null],
  ])("rejects %s, showing the expected shape and what came", (_, event) => {
    expect(() => parseObjectCreatedEvent(event)).toThrow(TriggerEventError);
    expect(() => parseObjectCreatedEvent(event)).toThrow(
      /expected an EventBridge event \{"source":"aws\.s3","detail-type":"Object Created".*; got /,
    );
  });
});

describe("keyCandidates", () => {
  it("is just the key when decoding would not change it", () => {
    expect(keyCandidates("incoming/log20170630.csv")).toEqual(["incoming/log20170630.csv"]);
  });

  it("adds the form-decoded reading of a key that looks URL-encoded, raw first", () => {
    expect(keyCandidates("incoming/my+log%282017%29.csv")).toEqual([
      "incoming/my+log%282017%29.csv",
      "incoming/my log(2017).csv",
    ]);
  });

  it("keeps a key with a literal % that is not an escape", () => {
    expect(keyCandidates("incoming/100%.csv")).toEqual(["incoming/100%.csv"]);
  });
});

describe("chooseKey", () => {
  const candidates = ["incoming/a+b.csv", "incoming/a b.csv"];

  it("takes the candidate that exists with the event's ETag", () => {
    const found = new Map([
      ["incoming/a+b.csv", '"other"'],
      ["incoming/a b.csv", '"e1"'],
    ]);

    expect(chooseKey(candidates, found, "e1")).toBe("incoming/a b.csv");
  });

  it("falls back to the first that exists (the object was overwritten since)", () => {
    expect(chooseKey(candidates, new Map([["incoming/a b.csv", '"newer"']]), "e1")).toBe("incoming/a b.csv");
  });

  it("is undefined when none exists any more", () => {
    expect(chooseKey(candidates, new Map(), "e1")).toBeUndefined();
  });
});

describe("isPipelineInput", () => {
  it.each([
    ["incoming/a.csv", true],
    ["incoming/log20170101.zip", true],
    ["incoming/a.csv.gz", true],
    ["incoming/README.txt", false],
    ["incoming/", false],
  ])("%s -> %s", (key, expected) => {
    expect(isPipelineInput(key)).toBe(expected);
  });
});
