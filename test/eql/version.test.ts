import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compareVersions, isValidVersion } from "../../src/eql/version.ts";

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Asserts that `versions` is strictly ascending, comparing every pair both ways. */
function assertAscending(versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = 0; j < versions.length; j++) {
      assert.equal(
        sign(compareVersions(versions[i], versions[j])),
        sign(i - j),
        `${versions[i]} vs ${versions[j]}`,
      );
    }
  }
}

test("valid versions", () => {
  for (const v of [
    "0",
    "1",
    "1.2",
    "1.2.3",
    "1.2.3.4",
    "0.0.0",
    "10.20.30",
    "1.2.3-alpha",
    "1.2.3-alpha.1",
    "1.2.3-0",
    "1.2.3-0a",
    "1.2.3-x-y-z.-",
    "1.2.3+build",
    "1.2.3+build.007",
    "1.2.3-rc.1+build.1",
    "1.2-SNAPSHOT",
    "99999999999999999999.0.0",
  ]) {
    assert.ok(isValidVersion(v), v);
  }
});

test("invalid versions", () => {
  for (const v of [
    "",
    "bad",
    "1..2",
    ".1",
    "1.",
    "01.2.3",
    "1.02.3",
    "1.2.03",
    "1.2.3-",
    "1.2.3-01",
    "1.2.3-a..b",
    "1.2.3+",
    "1.2.3+a..b",
    "1.2.3-a_b",
    "v1.2.3",
    " 1.2.3",
    "1.2.3 ",
    "1.2.3-α",
    "-1.2.3",
    "1.2.3++b",
  ]) {
    assert.ok(!isValidVersion(v), v);
  }
});

test("numeric parts compare numerically", () => {
  assertAscending(["1.2.3", "1.2.10", "1.5.0", "1.11.3", "2.0.0", "10.0.0", "99999999999999999999.0.0"]);
  assert.ok(compareVersions("1.11.3", "1.5.0") > 0);
});

test("a pre-release sorts before its release", () => {
  assertAscending(["1.2.3", "1.2.4-SNAPSHOT", "1.2.4", "1.5.0"]);
  assert.ok(compareVersions("1.2.4-SNAPSHOT", "1.5.0") < 0);
});

test("pre-release identifiers follow semver precedence", () => {
  assertAscending([
    "1.0.0-0",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
  ]);
  // alphanumeric identifiers compare in ASCII order, upper case first
  assert.ok(compareVersions("1.0.0-SNAPSHOT", "1.0.0-alpha") < 0);
  assert.ok(compareVersions("1.0.0-1a", "1.0.0-1b") < 0);
});

test("fewer main parts sort before more when one is a prefix of the other", () => {
  assertAscending(["1", "1.2-rc", "1.2", "1.2.0", "1.2.0.0", "1.2.1", "1.3"]);
});

test("build metadata only breaks ties, by plain text", () => {
  assert.ok(compareVersions("1.0.0+b", "1.0.0-rc") > 0);
  assert.ok(compareVersions("1.0.0+a", "1.0.1") < 0);
  assert.ok(compareVersions("1.0.0", "1.0.0+a") < 0);
  assert.ok(compareVersions("1.0.0+a", "1.0.0+b") < 0);
  assert.equal(compareVersions("1.0.0+a", "1.0.0+a"), 0);
});

test("invalid versions sort after all valid ones, among themselves by text", () => {
  assertAscending(["1.0.0-alpha", "1.2.3", "99999.0.0", "01.2.3", "1..2", "Bad", "bad", "v1"]);
  assert.ok(compareVersions("bad", "1.11.3") > 0);
  assert.ok(compareVersions("1.11.3", "bad") < 0);
  assert.ok(compareVersions("", "0") > 0);
  assert.equal(compareVersions("bad", "bad"), 0);
});

test("sorting a mixed list", () => {
  const sorted = ["bad", "1.11.3", "1.2.4", "1.5.0", "1.2.4-SNAPSHOT", "1.2.3"].sort(compareVersions);
  assert.deepEqual(sorted, ["1.2.3", "1.2.4-SNAPSHOT", "1.2.4", "1.5.0", "1.11.3", "bad"]);
});

const numeric = fc.oneof(fc.constantFrom("0", "1", "2", "10", "01"), fc.nat({ max: 30 }).map(String));
const identifier = fc.constantFrom(
  "alpha",
  "beta",
  "rc",
  "SNAPSHOT",
  "0",
  "1",
  "2",
  "11",
  "x-y",
  "1a",
  "01",
  "",
);
const versionish = fc.oneof(
  fc
    .tuple(
      fc.array(numeric, { minLength: 1, maxLength: 4 }),
      fc.option(fc.array(identifier, { minLength: 1, maxLength: 3 })),
      fc.option(fc.array(identifier, { minLength: 1, maxLength: 2 })),
    )
    .map(
      ([main, pre, build]) =>
        main.join(".") +
        (pre === null ? "" : `-${pre.join(".")}`) +
        (build === null ? "" : `+${build.join(".")}`),
    ),
  fc.string({ maxLength: 8 }),
);

test("compareVersions is a total order", () => {
  fc.assert(
    fc.property(versionish, versionish, versionish, (a, b, c) => {
      assert.equal(sign(compareVersions(a, b)), 0 - sign(compareVersions(b, a)));
      assert.equal(compareVersions(a, b) === 0, a === b);
      if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) assert.ok(compareVersions(a, c) <= 0);
    }),
    { numRuns: 2000 },
  );
});

test("sorting is consistent with pairwise comparison", () => {
  fc.assert(
    fc.property(fc.array(versionish, { maxLength: 20 }), (list) => {
      const sorted = [...list].sort(compareVersions);
      for (let i = 1; i < sorted.length; i++) assert.ok(compareVersions(sorted[i - 1], sorted[i]) <= 0);
    }),
  );
});
