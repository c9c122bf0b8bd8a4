/** Which objects the pipeline takes, and the keys an "Object Created" event's key may stand for. */
import { describe, expect, it } from "vitest";
import {
  chooseKey,
  isPipelineInput,
  keyCandidates,
  normalizeEtag,
} from "../../functions/core/object-created";

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

describe("normalizeEtag", () => {
  it("strips quotes and lower-cases, keeping a multipart suffix", () => {
    expect(normalizeEtag('"ABC123-4"')).toBe("abc123-4");
  });

  it("drops the weak prefix, so a weak and a strong form of one ETag are equal", () => {
    expect(normalizeEtag('W/"0CC175B9"')).toBe("0cc175b9");
    expect(normalizeEtag('W/"0CC175B9"')).toBe(normalizeEtag("0cc175b9"));
  });
});
