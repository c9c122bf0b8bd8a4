/**
 * README.md's context table ("Deploy") against infra/config.ts: it lists exactly the context keys
 * readDeployConfig reads, each with the default DEFAULT_DEPLOY_CONFIG gives it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUN_OPTIONS } from "../../functions/contracts";
import { CONTEXT_KEYS, DEFAULT_DEPLOY_CONFIG, readDeployConfig } from "../../infra/config";

interface ContextRow {
  readonly key: string;
  /** The Default cell's `code` value for this key, if it shows one. */
  readonly value: string | undefined;
  /** The Default cell as written. */
  readonly cell: string;
}

/** `| \`a\` / \`b\` | \`1\` / \`2\` | … |` -> a: 1, b: 2. */
function readContextTable(markdown: string): ContextRow[] {
  const lines = markdown.split("\n");
  const header = lines.findIndex((line) => /^\|\s*Context key\s*\|\s*Default\s*\|/.test(line));
  expect(header, "README.md has a table headed | Context key | Default |").toBeGreaterThanOrEqual(0);
  const rows: ContextRow[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const [keysCell = "", cell = ""] = line
      .split("|")
      .slice(1, 3)
      .map((c) => c.trim());
    const keys = [...keysCell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const values = [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
    expect(keys.length, `a key in ${JSON.stringify(keysCell)}`).toBeGreaterThan(0);
    if (values.length > 0) expect(values, `one default per key in ${keysCell}`).toHaveLength(keys.length);
    for (const [i, key] of keys.entries()) rows.push({ key, value: values[i], cell });
  }
  return rows;
}

const rows = readContextTable(readFileSync(new URL("../../README.md", import.meta.url), "utf8"));
const rowOf = new Map(rows.map((row) => [row.key, row]));

/** The keys readDeployConfig asks its context for. */
function keysRead(): string[] {
  const asked = new Set<string>();
  readDeployConfig((key) => {
    asked.add(key);
    return undefined;
  });
  return [...asked].sort();
}

/** Settings with no default value: the README says what happens instead. */
const UNSET = ["inputBucketName", "inputBucketKmsKeyArn", "outputBucketName", "alarmEmail"] as const;

describe("README.md's context table", () => {
  it("lists each context key once, exactly the keys infra/config.ts reads", () => {
    expect(rows.map((row) => row.key).sort()).toEqual(keysRead());
    expect([...CONTEXT_KEYS].sort()).toEqual(keysRead());
  });

  // A shown value is the default when giving it as `-c key=value` changes nothing.
  it.each(rows.filter((row) => row.value !== undefined).map((row) => [row.key, row.value!]))(
    "shows %s's default, %j",
    (key, value) => {
      // `""` is how the table writes the empty string; `<stackName>` stands for the stack's name.
      const given = value === '""' ? "" : value.replace("<stackName>", DEFAULT_DEPLOY_CONFIG.stackName);

      expect(readDeployConfig((k) => (k === key ? given : undefined))).toEqual(DEFAULT_DEPLOY_CONFIG);
    },
  );

  it("shows no value only where there is none: an unset setting, or the data checks' own defaults", () => {
    const described = rows.filter((row) => row.value === undefined);

    expect(described.map((row) => row.key).sort()).toEqual([...UNSET, "checks"].sort());
    for (const key of UNSET) {
      expect(DEFAULT_DEPLOY_CONFIG[key]).toBeUndefined();
      expect(rowOf.get(key)!.cell).toMatch(/^_\((create|none)\)_$/);
    }
    expect(rowOf.get("checks")!.cell).toBe("the data checks' defaults");
    expect(DEFAULT_DEPLOY_CONFIG.runDefaults.checks).toEqual(DEFAULT_RUN_OPTIONS.checks);
  });
});
