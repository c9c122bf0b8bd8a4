/**
 * Each typing function against a plain reference written from the schema's rules (README,
 * Schema): dates YYYY-MM-DD from 1970, times HH:MM:SS or H:MM:SS, integers `123`, `-7`, `123.0`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatDate,
  formatTime,
  isIntegerText,
  parseDate,
  parseInteger,
  parseTime,
} from "../../functions/core/field-typing";

const bytes = (s: string) => Buffer.from(s, "latin1");
const within = (s: string) => {
  // The field sits inside a larger buffer, as it does in a line.
  const b = bytes(`xx,${s},yy`);
  return { b, s: 3, e: 3 + Buffer.byteLength(s, "latin1") };
};

function referenceDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return -1;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1970 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d)
    return -1;
  return y * 10000 + mo * 100 + d;
}

function referenceTime(text: string): number {
  const m = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) return -1;
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return h <= 23 && mi <= 59 && s <= 59 ? h * 3600 + mi * 60 + s : -1;
}

function referenceInteger(text: string): number {
  const m = /^(-?)(\d{1,15})(\.0*)?$/.exec(text);
  return m === null ? Number.NaN : Number(`${m[1]}${m[2]}`);
}

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max });
const noise = fc.string({ unit: fc.constantFrom(..."0123456789-:.e+ /a\u00e9"), maxLength: 12 });

describe("parseDate", () => {
  it("agrees with the calendar for any YYYY-MM-DD-shaped text and noise (property)", () => {
    const dateLike = fc.tuple(digits(4, 4), digits(2, 2), digits(2, 2)).map(([y, m, d]) => `${y}-${m}-${d}`);
    fc.assert(
      fc.property(fc.oneof(dateLike, noise), (text) => {
        const { b, s, e } = within(text);
        const expected = referenceDate(text);
        expect(parseDate(b, s, e)).toBe(expected);
      }),
      { seed: 11, numRuns: 3000 },
    );
  });

  it("knows leap years and the 1970 floor", () => {
    const at = (t: string) => parseDate(bytes(t), 0, t.length);
    expect([at("2000-02-29"), at("1900-02-29"), at("2016-02-29"), at("2017-02-29")]).toEqual([
      20000229, -1, 20160229, -1,
    ]);
    expect([at("1969-12-31"), at("1970-01-01"), at("2017-13-01"), at("2017-04-31")]).toEqual([
      -1, 19700101, -1, -1,
    ]);
    // A century is a leap year only when divisible by 400.
    expect([at("2100-02-29"), at("2100-02-28"), at("2400-02-29")]).toEqual([-1, 21000228, 24000229]);
  });

  it("refuses a non-digit in any digit place, another separator and another length", () => {
    const at = (t: string) => parseDate(bytes(t), 0, t.length);
    const valid = "2017-06-15";
    expect(at(valid)).toBe(20170615);
    for (const place of [0, 1, 2, 3, 5, 6, 8, 9])
      for (const c of "/:a -.")
        expect(at(`${valid.slice(0, place)}${c}${valid.slice(place + 1)}`), `${c} at ${place}`).toBe(-1);
    expect([
      at("2017/06/15"),
      at("2017-06/15"),
      at("2017/06-15"),
      at("2017-06-150"),
      at("2017-6-15"),
    ]).toEqual([-1, -1, -1, -1, -1]);
    // The field ends before the last digit even though the byte after it is a digit.
    expect(parseDate(bytes(valid), 0, 9)).toBe(-1);
  });
});

describe("parseTime", () => {
  it("agrees with HH:MM:SS / H:MM:SS ranges for any time-shaped text and noise (property)", () => {
    const timeLike = fc.tuple(digits(1, 2), digits(2, 2), digits(2, 2)).map(([h, m, s]) => `${h}:${m}:${s}`);
    fc.assert(
      fc.property(fc.oneof(timeLike, noise), (text) => {
        const { b, s, e } = within(text);
        expect(parseTime(b, s, e)).toBe(referenceTime(text));
      }),
      { seed: 12, numRuns: 3000 },
    );
  });

  it("refuses a non-digit in any digit place, another separator and another length", () => {
    const at = (t: string) => parseTime(bytes(t), 0, t.length);
    for (const [valid, seconds] of [
      ["12:34:56", 45296],
      ["2:34:56", 9296],
    ] as const) {
      expect(at(valid)).toBe(seconds);
      for (let place = 0; place < valid.length; place++) {
        if (valid[place] === ":") continue;
        for (const c of "/:a -.")
          expect(
            at(`${valid.slice(0, place)}${c}${valid.slice(place + 1)}`),
            `${valid}: ${c} at ${place}`,
          ).toBe(-1);
      }
    }
    expect([
      at("12-34:56"),
      at("12:34-56"),
      at("12.34.56"),
      at("012:34:56"),
      at(":34:56"),
      at("1:2:3"),
    ]).toEqual([-1, -1, -1, -1, -1, -1]);
  });
});

describe("parseInteger and isIntegerText", () => {
  it("agree with the integer rule, and with each other, for any number-shaped text (property)", () => {
    const numberLike = fc
      .tuple(
        fc.constantFrom("", "-"),
        digits(0, 17),
        fc.constantFrom("", ".", ".0", ".00", ".5", "e+24", "0"),
      )
      .map(([sign, d, tail]) => `${sign}${d}${tail}`);
    fc.assert(
      fc.property(fc.oneof(numberLike, noise), (text) => {
        fc.pre(text.length > 0);
        const { b, s, e } = within(text);
        const expected = referenceInteger(text);
        const parsed = parseInteger(b, s, e);
        expect(Number.isNaN(parsed) ? "NaN" : parsed).toEqual(Number.isNaN(expected) ? "NaN" : expected);
        const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        expect(isIntegerText(view, b, s, e)).toBe(!Number.isNaN(expected));
      }),
      { seed: 13, numRuns: 5000 },
    );
  });

  it("reads EDGAR's forms", () => {
    const at = (t: string) => parseInteger(bytes(t), 0, t.length);
    expect([at("200.0"), at("503"), at("-7"), at("0.0"), at("123.00")]).toEqual([200, 503, -7, 0, 123]);
    expect([at("1.21e+24"), at("1.5"), at(""), at("-"), at("1234567890123456")].map(Number.isNaN)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it("take up to 15 digits, and a single digit before '.0' only if it is a digit", () => {
    const check = (t: string) => {
      const b = bytes(t);
      const parsed = parseInteger(b, 0, b.length);
      return [
        Number.isNaN(parsed) ? "NaN" : parsed,
        isIntegerText(new DataView(b.buffer, b.byteOffset, b.length), b, 0, b.length),
      ];
    };
    expect(check("123456789012345")).toEqual([123456789012345, true]);
    expect(check("-999999999999999.0")).toEqual([-999999999999999, true]);
    expect(check("1234567890123456")).toEqual(["NaN", false]);
    expect(check("1234567890123456.0")).toEqual(["NaN", false]);
    expect(check("7.0")).toEqual([7, true]);
    for (const c of "a:/ -") expect(check(`${c}.0`), c).toEqual(["NaN", false]);
  });
});

describe("isIntegerText at the field's edge", () => {
  it("a '.' just before the field is not part of it", () => {
    const at = (t: string) => {
      const b = bytes(t);
      return isIntegerText(new DataView(b.buffer, b.byteOffset, b.length), b, 1, b.length);
    };
    expect([at(".0"), at(".00"), at(".-10"), at(".5a0"), at(".5.0")]).toEqual([
      true,
      true,
      true,
      false,
      true,
    ]);
  });
});

describe("every typing function", () => {
  it("looks only inside the field: the bytes around it never change the answer (property)", () => {
    const around = fc.string({ unit: fc.constantFrom(..."0123456789.-:"), maxLength: 3 });
    const field = fc.oneof(
      fc.tuple(digits(1, 1), fc.constantFrom("."), fc.constantFrom(..."0123456789a")).map((t) => t.join("")),
      fc
        .tuple(fc.constantFrom("", "-"), digits(0, 16), fc.constantFrom("", ".", ".0", ".00", ".5"))
        .map((t) => t.join("")),
      fc.tuple(digits(4, 4), digits(2, 2), digits(2, 2)).map(([y, m, d]) => `${y}-${m}-${d}`),
      fc.tuple(digits(1, 2), digits(2, 2), digits(2, 2)).map(([h, m, s]) => `${h}:${m}:${s}`),
    );
    fc.assert(
      fc.property(around, field, around, (before, text, after) => {
        fc.pre(text.length > 0);
        const b = bytes(`${before}${text}${after}`);
        const s = before.length;
        const e = s + text.length;
        const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const integer = referenceInteger(text);
        expect(isIntegerText(view, b, s, e)).toBe(!Number.isNaN(integer));
        const parsed = parseInteger(b, s, e);
        expect(Number.isNaN(parsed) ? "NaN" : parsed).toEqual(Number.isNaN(integer) ? "NaN" : integer);
        expect(parseDate(b, s, e)).toBe(referenceDate(text));
        expect(parseTime(b, s, e)).toBe(referenceTime(text));
      }),
      { seed: 15, numRuns: 3000 },
    );
  });
});

describe("formatDate and formatTime", () => {
  it("write what the parsers read, zero-padded (property)", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1970-01-01T00:00:00Z"),
          max: new Date("2099-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        (d) => {
          const iso = d.toISOString();
          const date = parseDate(bytes(iso.slice(0, 10)), 0, 10);
          const time = parseTime(bytes(iso.slice(11, 19)), 0, 8);
          expect(formatDate(date)).toBe(iso.slice(0, 10));
          expect(formatTime(time)).toBe(iso.slice(11, 19));
        },
      ),
      { seed: 14, numRuns: 500 },
    );
  });
});
