import assert from "node:assert/strict";
import { test } from "node:test";
import { lookupFunction } from "../../src/eql/functions.ts";
import type { EqlType } from "../../src/eql/types.ts";
import { type ScriptValue, WholeDouble } from "../../src/eql/whole-double.ts";

const call = (name: string, args: ScriptValue[], types?: EqlType[], ci = false): ScriptValue =>
  lookupFunction(name)!.evaluate(args, types ?? args.map(() => "unknown" as EqlType), ci);

test("names are case-insensitive", () => {
  assert.equal(lookupFunction("CONCAT")?.name, "concat");
  assert.equal(lookupFunction("cidrmatch")?.name, "cidrMatch");
  assert.equal(lookupFunction("arrayContains"), undefined);
});

test("add, subtract, multiply, divide, modulo: Java integer and double semantics", () => {
  assert.equal(call("add", [1, 2], ["integer", "integer"]), 3);
  assert.equal(call("subtract", [1, 2.5], ["integer", "double"]), -1.5);
  assert.equal(call("multiply", [3, 4], ["long", "long"]), 12);
  assert.equal(call("divide", [4, 3], ["integer", "integer"]), 1);
  assert.equal(call("divide", [-7, 2], ["integer", "integer"]), -3);
  assert.equal(call("divide", [4, 2.0], ["integer", "double"]), 2);
  assert.equal(call("divide", [1, 4], ["integer", "double"]), 0.25);
  assert.equal(call("modulo", [10, -6], ["integer", "integer"]), 4);
  assert.equal(call("modulo", [-10, -6], ["integer", "integer"]), -4);
  assert.equal(call("modulo", [10, 0.5], ["integer", "double"]), 0);
  assert.equal(call("add", [null, 1]), null);
  assert.throws(() => call("divide", [1, 0], ["integer", "integer"]), /\/ by zero/);
  assert.throws(() => call("add", [2 ** 31 - 1, 1], ["integer", "integer"]), /integer overflow/);
  assert.equal(call("add", [2 ** 31 - 1, 1], ["long", "integer"]), 2 ** 31);
});

test("between: first left, then the next right (or the last with greedy); empty markers return the source", () => {
  const path = "C:\\Windows\\System32\\cmd.exe";
  assert.equal(call("between", [path, "System32\\", ".exe"]), "cmd");
  assert.equal(call("between", [path, "\\", "\\", false]), "Windows");
  assert.equal(call("between", [path, "\\", "\\", true]), "Windows\\System32");
  assert.equal(call("between", ["abc", "x", "c"]), "");
  assert.equal(call("between", ["abc", "", "c"]), "abc");
  assert.equal(call("between", ["", "a", "c"]), "");
  assert.equal(call("between", ["System Idle Process", "s", "E"], undefined, true), "yst");
  assert.equal(call("between", [null, "a", "b"]), null);
  assert.equal(call("between", [null, null, "b"]), null);
});

test("between past a null source: null markers or greedy fail, as Elasticsearch's checks do", () => {
  assert.throws(() => call("between", ["abc", null, "c"]), /A string\/char is required; received \[null\]/);
  assert.throws(() => call("between", ["abc", "a", null]), /A string\/char is required; received \[null\]/);
  assert.throws(() => call("between", ["abc", "a", "c", null]), /A boolean is required; received \[null\]/);
  // Java's substring fails when the last right marker starts before the left one ends
  assert.throws(() => call("between", ["a-b", "b", "-", true]), /begin 3, end 1, length 3/);
  // positions in the folded text cut the original, as in Java: "İ" folds to two units
  assert.equal(call("between", ["xİyz", "İ", "z"], undefined, true), "z");
  assert.equal(call("between", ["xİyyz", "İ", "z"], undefined, true), "yz");
  assert.throws(() => call("between", ["İİz", "İ", "z"], undefined, true), /begin 2, end 4, length 3/);
});

test("startsWith, endsWith, stringContains and their ~ forms", () => {
  assert.equal(call("startsWith", ["explorer.exe", "explorer"]), true);
  assert.equal(call("startsWith", ["explorer.exe", "EXPLORER"]), false);
  assert.equal(call("startsWith", ["explorer.exe", "EXPLORER"], undefined, true), true);
  assert.equal(call("startsWith", ["", ""]), true);
  assert.equal(call("endsWith", ["cmd.EXE", ".exe"]), false);
  assert.equal(call("endsWith", ["cmd.EXE", ".exe"], undefined, true), true);
  assert.equal(call("endsWith", ["", ""]), true);
  assert.equal(call("endsWith", [null, "x"]), null);
  assert.equal(call("stringContains", ["abcdef", "cd"]), true);
  assert.equal(call("stringContains", ["abcdef", "CD"], undefined, true), true);
  assert.equal(call("stringContains", ["abc", ""]), false);
  assert.equal(call("stringContains", ["", ""]), false);
  assert.equal(call("stringContains", [null, "a"]), null);
  assert.equal(call("startsWith", ["a", null]), null);
  assert.equal(call("endsWith", ["a", null]), null);
  assert.throws(() => call("stringContains", ["a", null]), /A string\/char is required; received \[null\]/);
});

test("indexOf: position from start, null when absent; a null start is 0", () => {
  assert.equal(call("indexOf", ["subdomain.example.com", ".", 10]), 17);
  assert.equal(call("indexOf", ["subdomain.example.com", "."]), 9);
  assert.equal(call("indexOf", ["subdomain.example.com", ".", null]), 9);
  assert.equal(call("indexOf", ["abc", "x"]), null);
  assert.equal(call("indexOf", ["abc", "a", -5]), 0);
  assert.equal(call("indexOf", ["abc", "a", 10]), null);
  assert.equal(call("indexOf", ["abc", "", 10]), 3);
  assert.equal(call("indexOf", ["", ""]), 0);
  assert.equal(call("indexOf", ["ABC", "b"], undefined, true), 1);
  assert.equal(call("indexOf", [null, "a"]), null);
});

test("length counts UTF-16 units; substring slices like Python", () => {
  assert.equal(call("length", ["héllo"]), 5);
  assert.equal(call("length", [""]), 0);
  assert.equal(call("length", [null]), null);
  assert.equal(call("substring", ["start regsvr32.exe", -4, -1]), ".ex");
  assert.equal(call("substring", ["hello", 1]), "ello");
  assert.equal(call("substring", ["hello", 3, 1]), "");
  assert.equal(call("substring", ["hello", -100, 100]), "hello");
  // no start is no slice at all, as in Elasticsearch's processor, whatever the end
  assert.equal(call("substring", ["hello", null, 2]), "hello");
  assert.equal(call("substring", [null, 1]), null);
});

test("substring and indexOf narrow a long position to a Java int, as Elasticsearch's intValue() does", () => {
  // 2^32 + 1 keeps its low 32 bits: 1
  assert.equal(call("substring", ["hello", 2 ** 32 + 1], ["keyword", "long"]), "ello");
  assert.equal(call("substring", ["hello", 1, 2 ** 32 + 2], ["keyword", "integer", "long"]), "e");
  assert.equal(call("substring", ["hello", -(2 ** 32) + 1]), "ello");
  // 2^31 is Integer.MIN_VALUE: a start far before the beginning
  assert.equal(call("substring", ["hello", 2 ** 31], ["keyword", "long"]), "hello");
  assert.equal(call("indexOf", ["hello", "l", 2 ** 32 + 3], ["keyword", "keyword", "long"]), 3);
  // a double (a schemaless value) is truncated and saturates instead
  assert.equal(call("substring", ["hello", 2 ** 32 + 1.5]), "");
  assert.equal(call("substring", ["hello", 1, new WholeDouble(2 ** 32 + 2)]), "ello");
});

test("string and concat print values the way Java does; any null makes concat null", () => {
  assert.equal(call("string", [42], ["integer"]), "42");
  assert.equal(call("string", [42.5], ["double"]), "42.5");
  assert.equal(call("string", [100], ["double"]), "100.0");
  assert.equal(call("string", [1e20], ["double"]), "1.0E20");
  assert.equal(call("string", [true], ["boolean"]), "true");
  assert.equal(call("string", [null]), null);
  assert.equal(call("concat", ["a", 5, true], ["keyword", "integer", "boolean"]), "a5true");
  assert.equal(call("concat", ["a", null]), null);
});

test("string and concat print a date as Java's ZonedDateTime and an ip as its canonical address, as a script reads them", () => {
  assert.equal(call("string", ["2020-01-01T00:00:00.000Z"], ["date"]), "2020-01-01T00:00Z");
  assert.equal(call("string", ["2020-01-01T00:00:07Z"], ["date"]), "2020-01-01T00:00:07Z");
  assert.equal(call("string", [1577836801500], ["date"]), "2020-01-01T00:00:01.500Z");
  // a date field holds milliseconds; date_nanos keeps the digits, in 3, 6 or 9 of them
  assert.equal(call("string", ["2020-01-01T00:00:00.123456Z"], ["date"]), "2020-01-01T00:00:00.123Z");
  assert.equal(
    call("string", ["2020-01-01T00:00:00.123456Z"], ["date_nanos"]),
    "2020-01-01T00:00:00.123456Z",
  );
  assert.equal(
    call("concat", ["at ", "2020-01-01T10:00:00+02:00"], ["keyword", "date"]),
    "at 2020-01-01T08:00Z",
  );
  assert.equal(call("string", ["::ffff:10.0.0.1"], ["ip"]), "10.0.0.1");
  assert.equal(call("string", ["2001:DB8:0:0::1"], ["ip"]), "2001:db8::1");
  // what does not read as one stays as written
  assert.equal(call("string", ["not a date"], ["date"]), "not a date");
  assert.equal(call("string", ["not an ip"], ["ip"]), "not an ip");
});

test("number parses longs, doubles and other bases; bad text is an error naming it", () => {
  assert.equal(call("number", ["42"]), 42);
  assert.equal(call("number", ["+42"]), 42);
  assert.equal(call("number", ["42.5"]), 42.5);
  // Double.valueOf's 1000.0 is a double though whole
  assert.deepEqual(call("number", ["1e3"]), new WholeDouble(1000));
  assert.equal(call("number", ["32", 16], ["keyword", "integer"]), 50);
  assert.equal(call("number", ["0xdeadbeef"]), 3735928559);
  assert.equal(call("number", [null]), null);
  assert.throws(() => call("number", ["abc"]), /Unable to convert \[abc\] to number of base \[10\]/);
});

test("number's base must be a Java Integer: a long literal or a field's value (a long) fails", () => {
  assert.equal(call("number", ["ff", 16], ["keyword", "integer"]), 255);
  assert.equal(call("number", ["10", null], ["keyword", "null"]), 10);
  assert.throws(
    () => call("number", ["10", 4294967306], ["keyword", "long"]),
    /An integer base is required; received \[4294967306\]/,
  );
  // a field mapped integer is read as a long, and a schemaless one is mapped long
  assert.throws(
    () => call("number", ["10", 16], ["keyword", "long"]),
    /An integer base is required; received \[16\]/,
  );
  assert.throws(() => call("number", ["10", 16], ["keyword", "unknown"]), /received \[16\]/);
});

test("cidrMatch: IPv4 and IPv6 blocks, host bits allowed, invalid addresses never match", () => {
  assert.equal(call("cidrMatch", ["10.6.48.157", "10.6.48.157/8"]), true);
  assert.equal(call("cidrMatch", ["192.168.1.1", "10.0.0.0/8", "192.168.0.0/16"]), true);
  assert.equal(call("cidrMatch", ["8.8.8.8", "0.0.0.0/0"]), true);
  assert.equal(call("cidrMatch", ["2001:db8::1", "2001:db8::/32"]), true);
  assert.equal(call("cidrMatch", ["::ffff:10.1.2.3", "10.0.0.0/8"]), true);
  assert.equal(call("cidrMatch", ["not an ip", "10.0.0.0/8"]), false);
  assert.equal(call("cidrMatch", ["010.0.0.1", "10.0.0.0/8"]), false);
  assert.equal(call("cidrMatch", [null, "10.0.0.0/8"]), null);
  assert.equal(call("cidrMatch", [null, null]), null);
  assert.throws(() => call("cidrMatch", ["10.0.0.1", "10.0.0.0/8", null]), /A string\/char is required/);
  assert.throws(() => call("cidrMatch", ["10.0.0.1", "10.0.0.0/33"]), /10\.0\.0\.0\/33/);
});
