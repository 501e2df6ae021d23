/*
 * The pickle decoder: opcodes of every protocol, the $-descriptions, and
 * rejection of hostile input with the right reason. The golden test
 * (pickle_golden.py) covers real CPython output of protocols 0-5; these pin
 * single opcodes and edge cases, the fast path's hand-over to the general
 * decoder (test_fast_*), and the fuzzer's finds (test_fuzz_*).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "base/limits.h"
#include "decode/pickle.h"
#include "decode/pickle_int.h"

#define P(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* The output limit these tests decode with (the daemon's follows max_record_size). */
#define TEST_MAX_OUTPUT (4u * 1024u * 1024u)

static void
expect_json(const uint8_t *data, size_t len, const char *want)
{
	struct buf out;
	const char *detail = NULL;
	enum pickle_error err;

	buf_init(&out);
	err = pickle_to_json(data, len, &out, TEST_MAX_OUTPUT, &detail);
	if (err != PICKLE_OK || out.len != strlen(want) || memcmp(out.data, want, out.len) != 0) {
		print_error("got %s (%s) %.*s\nwant %s\n", pickle_error_name(err), detail,
		    (int)out.len, out.data, want);
		buf_free(&out);
		fail();
	}
	buf_free(&out);
}

static void
expect_error(const uint8_t *data, size_t len, enum pickle_error want)
{
	struct buf out;
	const char *detail = NULL;
	enum pickle_error err;

	buf_init(&out);
	buf_puts(&out, "prefix");
	err = pickle_to_json(data, len, &out, TEST_MAX_OUTPUT, &detail);
	if (err != want) {
		print_error("got %s (%s), wanted %s\n", pickle_error_name(err),
		    detail ? detail : "-", pickle_error_name(want));
		buf_free(&out);
		fail();
	}
	assert_non_null(detail);
	assert_int_equal(out.len, 6); /* output left as it was */
	assert_memory_equal(out.data, "prefix", 6);
	buf_free(&out);
}

/* What logging.handlers.SocketHandler sends (protocol 1), abridged. */
static void
test_protocol1_record(void **state)
{
	(void)state;
	expect_json(P("}q\x00(X\x04\x00\x00\x00nameq\x01X\x03\x00\x00\x00" "appq\x02"
		      "X\x07\x00\x00\x00levelnoq\x03K\x14X\x05\x00\x00\x00msecsq\x04"
		      "G@\x84\x00\x00\x00\x00\x00\x00X\x06\x00\x00\x00threadq\x05"
		      "L140491807619968L\nX\x04\x00\x00\x00" "argsq\x06Nu."),
	    "{\"name\":\"app\",\"levelno\":20,\"msecs\":640.0,\"thread\":140491807619968,"
	    "\"args\":null}");
}

/* Protocol 0: (dp0 ... with INT bools, LONG, FLOAT nan, PUT/GET. */
static void
test_protocol0_text_opcodes(void **state)
{
	(void)state;
	expect_json(P("(dp0\nVa\np1\nI01\nsVb\np2\nI00\nsVc\np3\nI-42\nsVd\np4\n"
		      "L-123456789012345678901234567890L\nsVe\np5\nFnan\nsVf\np6\nF-0.0\n"
		      "sVg\np7\ng1\nsVh\n(lp8\nI1\naF1e+16\nas."),
	    "{\"a\":true,\"b\":false,\"c\":-42,\"d\":-123456789012345678901234567890,"
	    "\"e\":null,\"f\":-0.0,\"g\":\"a\",\"h\":[1,1e+16]}");
}

/* UNICODE is raw-unicode-escape: latin-1 bytes, \u and \U escapes, and
 * lone surrogates that must come out as \udXXX. */
static void
test_protocol0_unicode(void **state)
{
	(void)state;
	expect_json(P("(dVk\nVcaf\xe9 \\u0430\\U0001f600 \\udce9 \\\\u0041 \\u005c\ns."),
	    "{\"k\":\"caf\xc3\xa9 \xd0\xb0\xf0\x9f\x98\x80 \\udce9 \\\\\\\\u0041 \\\\\"}");
	expect_error(P("(dVk\nV\\u12\ns."), PICKLE_ERR_VALUE);
	expect_error(P("(dVk\nV\\U00110000\ns."), PICKLE_ERR_VALUE);
}

static void
test_integers(void **state)
{
	(void)state;
	/* LONG1: 2**63 (needs 9 bytes), -2**63, -1, 0; LONG4; BININT negative. */
	expect_json(P("\x80\x02}(X\x01\x00\x00\x00" "a\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00"
		      "X\x01\x00\x00\x00" "b\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"
		      "X\x01\x00\x00\x00" "c\x8a\x01\xff"
		      "X\x01\x00\x00\x00" "d\x8a\x00"
		      "X\x01\x00\x00\x00" "e\x8b\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff"
		      "X\x01\x00\x00\x00" "fJ\xfe\xff\xff\xff"
		      "X\x01\x00\x00\x00gM\xff\xffu."),
	    "{\"a\":9223372036854775808,\"b\":-9223372036854775808,\"c\":-1,\"d\":0,"
	    "\"e\":-4722366482869645213696,\"f\":-2,\"g\":65535}");
	/* Text forms at the int64 edges and beyond. */
	expect_json(P("(dVa\nI9223372036854775807\nsVb\nL-9223372036854775808L\nsVc\n"
		      "I9223372036854775808\nsVd\nL0L\ns."),
	    "{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":9223372036854775808,"
	    "\"d\":0}");
	expect_error(P("(dVa\nI010\ns."), PICKLE_ERR_VALUE); /* octal in C, error in Python */
	expect_error(P("(dVa\nI0x10\ns."), PICKLE_ERR_VALUE);
	expect_error(P("(dVa\nL\ns."), PICKLE_ERR_VALUE);
}

/* Over LC_PICKLE_MAX_LONG_BYTES: rejected, not converted for seconds. */
static void
test_huge_long_rejected(void **state)
{
	size_t n = LC_PICKLE_MAX_LONG_BYTES + 1, len = 11 + n + 2;
	uint8_t *p = calloc(1, len);

	(void)state;
	memcpy(p, "}X\x01\x00\x00\x00k\x8b", 8);
	p[8] = (uint8_t)n;
	p[9] = (uint8_t)(n >> 8);
	memcpy(p + 12 + n - 1, "s.", 2);
	expect_error(p, len - 1, PICKLE_ERR_TOO_BIG);
	free(p);
}

/* Keys become strings as json.dumps makes them; tuples are arrays. True
 * is the key 1 (Python's dict keeps the first key, with the last value). */
static void
test_dict_keys(void **state)
{
	(void)state;
	expect_json(P("\x80\x04}(K\x01K\x02G?\xf8\x00\x00\x00\x00\x00\x00K\x03\x88K\x04NK\x05"
		      "Fnan\nK\x06K\x01K\x02\x86K\x07\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00"
		      "K\x08u."),
	    "{\"1\":4,\"1.5\":3,\"null\":5,\"NaN\":6,\"[1,2]\":7,"
	    "\"9223372036854775808\":8}");
	expect_error(P("}]Ns."), PICKLE_ERR_KEY);
	expect_error(P("}}Ns."), PICKLE_ERR_KEY);
}

/* bytes/bytearray: protocol 3+ opcodes and the protocol 0-2 REDUCE forms. */
static void
test_bytes(void **state)
{
	(void)state;
	expect_json(P("\x80\x05}(\x8c\x01" "aC\x03\x00\xff\x61\x8c\x01" "b\x96\x02\x00\x00\x00\x00\x00\x00"
		      "\x00xy\x8c\x01" "cB\x00\x00\x00\x00u."),
	    "{\"a\":{\"$bytes\":\"AP9h\"},\"b\":{\"$bytearray\":\"eHk=\"},\"c\":{\"$bytes\":\"\"}}");
	expect_json(P("(dVa\nc_codecs\nencode\n(V\xff\\u0000a\nVlatin1\ntRs"
		      "Vb\nc__builtin__\nbytearray\n(c_codecs\nencode\n(Vxy\nVlatin1\ntRtRs"
		      "Vc\nc__builtin__\nbytes\n(tRs."),
	    "{\"a\":{\"$bytes\":\"/wBh\"},\"b\":{\"$bytearray\":\"eHk=\"},\"c\":{\"$bytes\":\"\"}}");
	/* Text beyond latin-1 cannot be bytes (Python raises too). */
	expect_error(P("(dVa\nc_codecs\nencode\n(V\\u0100\nVlatin1\ntRs."), PICKLE_ERR_VALUE);
}

static void
test_sets(void **state)
{
	(void)state;
	expect_json(P("\x80\x04}(\x8c\x01s\x8f(K\x01K\x02\x90\x8c\x01" "f(K\x03\x91\x8c\x01" "e\x8fu."),
	    "{\"s\":{\"$set\":[1,2]},\"f\":{\"$frozenset\":[3]},\"e\":{\"$set\":[]}}");
	expect_json(P("}(X\x01\x00\x00\x00sc__builtin__\nset\n(]q\x01(K\x01K\x02" "etR"
		      "X\x01\x00\x00\x00" "fc__builtin__\nfrozenset\n(h\x01tRu."),
	    "{\"s\":{\"$set\":[1,2]},\"f\":{\"$frozenset\":[1,2]}}");
	/* ADDITEMS on a set made by REDUCE would change the list it shares. */
	expect_error(P("}X\x01\x00\x00\x00sc__builtin__\nset\n(]tR(K\x01\x90s."), PICKLE_ERR_STACK);
	expect_error(P("}X\x01\x00\x00\x00s\x8f(]\x90s."), PICKLE_ERR_KEY);
}

/* Objects are described, never built. */
static void
test_objects_described(void **state)
{
	(void)state;
	/* datetime (REDUCE), with BUILD state and Python 2 module names. */
	expect_json(P("}(X\x01\x00\x00\x00" "dcdatetime\ndate\nC\x04\x07\xe4\x02\x1d\x85R"
		      "X\x01\x00\x00\x00occopy_reg\n_reconstructor\n(c__main__\nThing\n"
		      "c__builtin__\nobject\nNtR}X\x01\x00\x00\x00" "aK\x01sb"
		      "X\x01\x00\x00\x00" "ec__builtin__\ngetattr\n(c__main__\nColor\nX\x03\x00\x00\x00REDtR"
		      "X\x01\x00\x00\x00gX\x01\x00\x00\x00" "ecos\nsystem\n\x86u."),
	    "{\"d\":{\"$call\":\"datetime.date\",\"$args\":[{\"$bytes\":\"B+QCHQ==\"}]},"
	    "\"o\":{\"$call\":\"__main__.Thing\",\"$args\":[],\"$state\":{\"a\":1}},"
	    "\"e\":{\"$global\":\"__main__.Color.RED\"},"
	    "\"g\":[\"e\",{\"$global\":\"os.system\"}]}");
	/* NEWOBJ_EX, STACK_GLOBAL, items added to an object, INST and OBJ. */
	expect_json(P("\x80\x04}(\x8c\x01n\x8c\x01m\x8c\x01" "C\x93)}\x8c\x01kK\x01s\x92"
		      "\x8c\x01l\x8c\x01m\x8c\x01L\x93)\x81K\x01" "a(K\x02K\x03" "e"
		      "\x8c\x01i(K\x01im\nI\n\x8c\x01o(\x8c\x01m\x8c\x01O\x93K\x02ou."),
	    "{\"n\":{\"$call\":\"m.C\",\"$args\":[],\"$kwargs\":{\"k\":1}},"
	    "\"l\":{\"$call\":\"m.L\",\"$args\":[],\"$listitems\":[1,2,3]},"
	    "\"i\":{\"$call\":\"m.I\",\"$args\":[1]},\"o\":{\"$call\":\"m.O\",\"$args\":[2]}}");
	expect_error(P("}X\x01\x00\x00\x00" "a]}bs."), PICKLE_ERR_STACK); /* BUILD on a list */
	expect_error(P("\x80\x04}X\x01\x00\x00\x00" "aK\x01K\x02\x93s."), PICKLE_ERR_VALUE);
}

/* Shared references are expanded; a cycle is described once, not looped. */
static void
test_memo_and_cycles(void **state)
{
	(void)state;
	expect_json(P("}(X\x01\x00\x00\x00" "a]q\x01K\x01" "aX\x01\x00\x00\x00" "bh\x01u."),
	    "{\"a\":[1],\"b\":[1]}");
	expect_json(P("\x80\x04}\x8c\x01l]\x94K\x01" "ah\x00" "as."),
	    "{\"l\":[1,{\"$recursion\":true}]}");
	expect_json(P("}q\x00X\x01\x00\x00\x00" "dh\x00s."), "{\"d\":{\"$recursion\":true}}");
	expect_error(P("}h\x00."), PICKLE_ERR_MEMO);
	expect_error(P("}q\x01h\x00."), PICKLE_ERR_MEMO);
	expect_error(P("}r\xa0\x86\x01\x00."), PICKLE_ERR_MEMO); /* 100000: over the limit */
	expect_error(P("(dp99999999999\n."), PICKLE_ERR_MEMO);
	expect_error(P("q\x00}."), PICKLE_ERR_STACK); /* PUT with nothing to store */
}

/* Python 2 str: escapes decoded; UTF-8 kept, anything else read as latin-1. */
static void
test_python2_strings(void **state)
{
	(void)state;
	expect_json(P("(dS'a'\nS'x\\'\\n\\x41\\101\\q'\nsU\x01" "bT\x02\x00\x00\x00\xc3\xa9s"
		      "U\x01" "cU\x01\xe9s."),
	    "{\"a\":\"x'\\nAA\\\\q\",\"b\":\"\xc3\xa9\",\"c\":\"\xc3\xa9\"}");
	expect_error(P("(dS'a\nI1\ns."), PICKLE_ERR_VALUE);
	expect_error(P("(dS'\\x4'\nI1\ns."), PICKLE_ERR_VALUE);
}

static void
test_frames_and_protocol(void **state)
{
	(void)state;
	expect_json(P("\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01" "a\x94K\x01s."),
	    "{\"a\":1}");
	expect_error(P("\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00}."), PICKLE_ERR_TRUNCATED);
	expect_error(P("\x80\x06}."), PICKLE_ERR_OPCODE);
}

static void
test_rejections(void **state)
{
	(void)state;
	expect_error(P(""), PICKLE_ERR_TRUNCATED);
	expect_error(P("}"), PICKLE_ERR_TRUNCATED);
	expect_error(P("}X\x05\x00\x00\x00" "ab"), PICKLE_ERR_TRUNCATED);
	expect_error(P("}X\xff\xff\xff\xff."), PICKLE_ERR_TRUNCATED);
	expect_error(P("}\x8d\xff\xff\xff\xff\xff\xff\xff\xff."), PICKLE_ERR_TRUNCATED);
	expect_error(P("(dVa\nI1"), PICKLE_ERR_TRUNCATED);
	expect_error(P("]."), PICKLE_ERR_NOT_DICT);
	expect_error(P("N."), PICKLE_ERR_NOT_DICT);
	expect_error(P("}.."), PICKLE_ERR_TRAILING);
	expect_error(P("}.\n"), PICKLE_ERR_TRAILING);
	expect_error(P("(}."), PICKLE_ERR_STACK); /* STOP with an open MARK */
	expect_error(P("}}."), PICKLE_ERR_STACK);
	expect_error(P("."), PICKLE_ERR_STACK);
	expect_error(P("}s."), PICKLE_ERR_STACK);
	expect_error(P("}(K"), PICKLE_ERR_TRUNCATED);
	expect_error(P("}(K\x01u."), PICKLE_ERR_STACK);  /* odd SETITEMS */
	expect_error(P("}(K\x01K\x02s."), PICKLE_ERR_STACK); /* SETITEM across a MARK */
	expect_error(P("}X\x01\x00\x00\x00" "a(K\x01\x85s."), PICKLE_ERR_STACK);
	expect_error(P("\xff."), PICKLE_ERR_OPCODE);
	expect_error(P("}P0\n."), PICKLE_ERR_OPCODE);  /* PERSID */
	expect_error(P("}\x82\x01."), PICKLE_ERR_OPCODE); /* EXT1 */
	expect_error(P("}X\x01\x00\x00\x00" "aX\x01\x00\x00\x00\xffs."), PICKLE_ERR_UTF8);
	expect_error(P("}X\x01\x00\x00\x00" "aX\x02\x00\x00\x00\xed\xa0s."), PICKLE_ERR_UTF8);
	expect_error(P("(dVa\nFnope\ns."), PICKLE_ERR_VALUE);
	expect_error(P("(dVa\nF1.5 \ns."), PICKLE_ERR_VALUE);
}

/* A chain of nested lists deeper than the limit. */
static void
test_depth_limit(void **state)
{
	size_t depth = LC_MAX_NESTING + 5, len = 0;
	uint8_t *p = malloc(2 * depth + 16);

	(void)state;
	memcpy(p, "}X\x01\x00\x00\x00k", 7);
	len = 7;
	memset(p + len, ']', depth);
	len += depth;
	memset(p + len, 'a', depth - 1);
	len += depth - 1;
	memcpy(p + len, "s.", 2);
	expect_error(p, len + 2, PICKLE_ERR_DEPTH);
	free(p);
}

/* MARK flood and stack flood stop at the limits. */
static void
test_stack_limit(void **state)
{
	size_t n = LC_PICKLE_MAX_STACK + 2;
	uint8_t *p = malloc(n + 2);

	(void)state;
	memset(p, '(', n);
	expect_error(p, n, PICKLE_ERR_STACK);
	memset(p, 'N', n);
	expect_error(p, n, PICKLE_ERR_STACK);
	free(p);
}

/* Each level holds the previous one twice: 2^60 values if expanded. The
 * output limit stops it quickly. */
static void
test_shared_reference_bomb(void **state)
{
	uint8_t p[16 + 60 * 9];
	size_t len = 0;

	(void)state;
	memcpy(p, "}X\x01\x00\x00\x00k]q\x00", 10);
	len = 10;
	for (int i = 0; i < 60; i++) {
		/* drop prev, push [prev, prev] as the new memo 0 */
		memcpy(p + len, "0(h\x00h\x00lq\x00", 9);
		len += 9;
	}
	memcpy(p + len, "s.", 2);
	expect_error(p, len + 2, PICKLE_ERR_TOO_BIG);
}

/*
 * Fuzzer find: the seed extra_surrogates_p4 made the fuzz target abort. The
 * decoder was right (\udce9 is valid JSON, what json.dumps writes) and the
 * target's cJSON check was wrong; it now checks the grammar itself. Pinned:
 * BINUNICODE and SHORT_BINUNICODE surrogates, alone and as a pair.
 */
static void
test_fuzz_lone_surrogate_output(void **state)
{
	(void)state;
	expect_json(P("\x80\x04}(\x8c\x02" "fsX\x06\x00\x00\x00" "caf\xed\xb3\xa9"
		      "\x8c\x04pair\x8c\x06\xed\xa0\xbd\xed\xb8\x80u."),
	    "{\"fs\":\"caf\\udce9\",\"pair\":\"\\ud83d\\ude00\"}");
}

/* The fast path takes it, and prints exactly what the general decoder does. */
static void
expect_fast(const uint8_t *data, size_t len, const char *want)
{
	struct buf fast, general;
	const char *detail;

	buf_init(&fast);
	buf_init(&general);
	buf_puts(&fast, "p");
	assert_int_equal(pk_fast(data, len, &fast, TEST_MAX_OUTPUT), 0);
	assert_int_equal(pk_general(data, len, &general, TEST_MAX_OUTPUT, &detail), PICKLE_OK);
	assert_int_equal(fast.len, 1 + strlen(want));
	assert_memory_equal(fast.data, "p", 1);
	assert_memory_equal(fast.data + 1, want, strlen(want));
	assert_memory_equal(fast.data + 1, general.data, general.len);
	buf_free(&fast);
	buf_free(&general);
	expect_json(data, len, want);
}

/* The fast path gives it up, leaving the output as it was. */
static void
expect_fallback(const uint8_t *data, size_t len)
{
	struct buf out;

	buf_init(&out);
	buf_puts(&out, "p");
	assert_int_equal(pk_fast(data, len, &out, TEST_MAX_OUTPUT), -1);
	assert_int_equal(out.len, 1);
	buf_free(&out);
}

/* SocketHandler's shape in protocols 1 and 4, every scalar it may hold. */
static void
test_fast_scalars(void **state)
{
	(void)state;
	expect_fast(P("}q\x00(X\x01\x00\x00\x00sq\x01X\x03\x00\x00\x00" "a\"\nq\x02"
		      "X\x01\x00\x00\x00nNX\x01\x00\x00\x00tI01\nX\x01\x00\x00\x00" "fI00\n"
		      "X\x01\x00\x00\x00iI-7\nX\x01\x00\x00\x00lL-123456789012345678901234567890L\n"
		      "X\x01\x00\x00\x00kK\xffX\x01\x00\x00\x00mM\xff\xffX\x01\x00\x00\x00jJ\xfe\xff\xff\xff"
		      "X\x01\x00\x00\x00gG@*\x1c\xbd\xc0\x00\x00\x00u."),
	    "{\"s\":\"a\\\"\\n\",\"n\":null,\"t\":true,\"f\":false,\"i\":-7,"
	    "\"l\":-123456789012345678901234567890,\"k\":255,\"m\":65535,\"j\":-2,"
	    "\"g\":13.056135177612305}");
	expect_fast(P("\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01" "a\x94\x88"
		      "\x8c\x01" "b\x94\x89\x8c\x01" "c\x94\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"
		      "\x8c\x01" "d\x94\x8d\x02\x00\x00\x00\x00\x00\x00\x00\xc3\xa9u."),
	    "{\"a\":true,\"b\":false,\"c\":-9223372036854775808,\"d\":\"\xc3\xa9\"}");
	/* SETITEM, and SETITEMS with nothing between the MARK and it. */
	expect_fast(P("}X\x01\x00\x00\x00" "aNs(uX\x01\x00\x00\x00" "bK\x01s."),
	    "{\"a\":null,\"b\":1}");
}

/* Memo GETs of strings and scalars are printed again, as keys or values;
 * MEMOIZE numbers its keys the way the general decoder does. */
static void
test_fast_memo(void **state)
{
	(void)state;
	expect_fast(P("}q\x00(X\x01\x00\x00\x00" "aq\x01X\x03\x00\x00\x00\xed\xb3\xa9q\x02"
		      "h\x02h\x01X\x01\x00\x00\x00nG?\xf8\x00\x00\x00\x00\x00\x00q\x03"
		      "X\x01\x00\x00\x00mh\x03X\x01\x00\x00\x00rq\x01j\x01\x00\x00\x00u."),
	    "{\"a\":\"\\udce9\",\"\\udce9\":\"a\",\"n\":1.5,\"m\":1.5,\"r\":\"r\"}");
	expect_fast(P("\x80\x04}\x94(\x8c\x01" "a\x94\x8c\x01" "b\x94h\x02h\x01u."),
	    "{\"a\":\"b\",\"b\":\"a\"}");
	/* A scalar as a key, the dict itself, keys beyond what is tracked:
	 * the general decoder's business. */
	expect_fallback(P("}(X\x01\x00\x00\x00" "aK\x05q\x01h\x01X\x01\x00\x00\x00" "bu."));
	expect_json(P("}(X\x01\x00\x00\x00" "aK\x05q\x01h\x01X\x01\x00\x00\x00" "bu."),
	    "{\"a\":5,\"5\":\"b\"}");
	expect_fallback(P("}q\x00X\x01\x00\x00\x00" "dh\x00s."));
	expect_json(P("}q\x00X\x01\x00\x00\x00" "dh\x00s."), "{\"d\":{\"$recursion\":true}}");
	expect_fallback(P("}(X\x01\x00\x00\x00" "ar\x00\x10\x00\x00h\x00u."));
	expect_json(P("}(X\x01\x00\x00\x00" "ar\x00\x10\x00\x00j\x00\x10\x00\x00u."),
	    "{\"a\":\"a\"}");
}

/* Anything beyond string keys and scalar values goes to the general
 * decoder, from the start. */
static void
test_fast_fallbacks(void **state)
{
	(void)state;
	expect_fallback(P("}(X\x01\x00\x00\x00" "a]u."));               /* a list */
	expect_json(P("}(X\x01\x00\x00\x00" "a]u."), "{\"a\":[]}");
	expect_fallback(P("}(K\x01K\x02u."));                            /* an int key */
	expect_json(P("}(K\x01K\x02u."), "{\"1\":2}");
	expect_fallback(P("(dVa\nI1\ns."));                               /* protocol 0 */
	expect_json(P("(dVa\nI1\ns."), "{\"a\":1}");
	expect_fallback(P("}X\x01\x00\x00\x00" "aC\x01\x00s."));          /* bytes */
	expect_fallback(P("}(X\x01\x00\x00\x00" "a\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00u."));
}

/* Errors are the general decoder's, reason and detail alike, even when
 * the fast path met them first. */
static void
test_fast_errors(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		enum pickle_error err;
	} cases[] = {
	    {"}(X\x05\x00\x00\x00" "ab", 9, PICKLE_ERR_TRUNCATED},
	    {"}(X\x01\x00\x00\x00\xffNu.", 11, PICKLE_ERR_UTF8},
	    {"}(X\x01\x00\x00\x00" "aNu.x", 12, PICKLE_ERR_TRAILING},
	    {"}(X\x01\x00\x00\x00" "aI0x\nu.", 14, PICKLE_ERR_VALUE},
	    {"}X\x01\x00\x00\x00" "aNNs.", 11, PICKLE_ERR_STACK},
	    {"}(X\x01\x00\x00\x00" "aNs.", 11, PICKLE_ERR_STACK},
	    {"}(X\x01\x00\x00\x00" "aN.", 10, PICKLE_ERR_STACK},
	    {"}(X\x01\x00\x00\x00" "ah\x07u.", 12, PICKLE_ERR_MEMO},
	    {"(q\x00}.", 5, PICKLE_ERR_STACK},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *data = (const uint8_t *)cases[i].data;
		const char *want, *got;
		struct buf out;

		expect_fallback(data, cases[i].len);
		expect_error(data, cases[i].len, cases[i].err);
		buf_init(&out);
		assert_int_equal(pk_general(data, cases[i].len, &out, TEST_MAX_OUTPUT, &want), cases[i].err);
		assert_int_equal(pickle_to_json(data, cases[i].len, &out, TEST_MAX_OUTPUT, &got), cases[i].err);
		assert_string_equal(got, want);
		buf_free(&out);
	}
}

/* BINUNICODE of n (< 2^24) bytes c at p + len; returns the new length. */
static size_t
put_long_str(uint8_t *p, size_t len, int c, size_t n)
{
	p[len++] = 'X';
	p[len++] = (uint8_t)n;
	p[len++] = (uint8_t)(n >> 8);
	p[len++] = (uint8_t)(n >> 16);
	p[len++] = 0;
	memset(p + len, c, n);
	return len + n;
}

/* A memoized string printed again and again stops at the output limit, in
 * the fast path too. */
static void
test_fast_output_limit(void **state)
{
	size_t n = TEST_MAX_OUTPUT / 4, len = 0;
	uint8_t *p = malloc(n + 64);

	(void)state;
	memcpy(p, "}(X\x01\x00\x00\x00k", 8);
	len = put_long_str(p, 8, 'a', n);
	memcpy(p + len, "q\x00", 2);
	len += 2;
	for (int i = 0; i < 5; i++) {
		memcpy(p + len, "h\x00h\x00", 4);
		len += 4;
	}
	memcpy(p + len, "u.", 2);
	len += 2;
	expect_fallback(p, len);
	expect_error(p, len, PICKLE_ERR_TOO_BIG);
	free(p);
}

/* {"a":"<n \u0001s>","b":null}: the general decoder's last limit check is
 * before null, after the last key, where the fast path checks no more; it
 * makes the same decision at STOP. Escapes make the output longer than the
 * payload (the fast path takes no payload longer than the limit). */
static void
test_fast_output_limit_last_value(void **state)
{
	size_t room = (TEST_MAX_OUTPUT - 12) / 6, len; /* null starts by the limit */
	uint8_t *p = malloc(room + 64);
	struct buf fast, general;
	const char *detail;

	(void)state;
	for (size_t n = room; n <= room + 1; n++) {
		memcpy(p, "}(X\x01\x00\x00\x00" "a", 8);
		len = put_long_str(p, 8, 1, n);
		memcpy(p + len, "X\x01\x00\x00\x00" "bNu.", 9);
		len += 9;
		if (n > room) {
			expect_fallback(p, len);
			expect_error(p, len, PICKLE_ERR_TOO_BIG);
			continue;
		}
		buf_init(&fast);
		buf_init(&general);
		assert_int_equal(pk_fast(p, len, &fast, TEST_MAX_OUTPUT), 0);
		assert_int_equal(pk_general(p, len, &general, TEST_MAX_OUTPUT, &detail), PICKLE_OK);
		assert_int_equal(fast.len, 12 + 6 * n + 5);
		assert_int_equal(fast.len, general.len);
		assert_memory_equal(fast.data, general.data, fast.len);
		buf_free(&fast);
		buf_free(&general);
	}
	free(p);
}

/* Output far over the limit is given up soon after the limit (it is
 * checked before each key), not at the end of the record. */
static void
test_fast_output_bounded(void **state)
{
	size_t n = TEST_MAX_OUTPUT / 24, len = 2;
	uint8_t *p = malloc(16 * (n + 5) + 8);
	struct buf out;

	(void)state;
	memcpy(p, "}(", 2);
	for (int i = 0; i < 16; i++)
		len = put_long_str(p, len, 1 + i, n);
	memcpy(p + len, "u.", 2);
	len += 2;
	buf_init(&out);
	assert_true(len < TEST_MAX_OUTPUT);
	assert_int_equal(pk_fast(p, len, &out, TEST_MAX_OUTPUT), -1);
	assert_true(out.cap <= 2 * TEST_MAX_OUTPUT);
	buf_free(&out);
	free(p);
}

/* ---- issue 12: nesting, integers, repeated keys ---- */

struct decode_job {
	const uint8_t *data;
	size_t len;
	enum pickle_error err;
	const char *detail;
	struct buf out;
};

static void *
decode_job_run(void *arg)
{
	struct decode_job *job = arg;

	buf_init(&job->out);
	job->err = pickle_to_json(job->data, job->len, &job->out, TEST_MAX_OUTPUT, &job->detail);
	return NULL;
}

/* Decode in a thread with a 256 KiB stack: recursion as deep as the
 * nesting limit would not fit (and ASan makes frames larger still). */
static void
decode_small_stack(struct decode_job *job)
{
	pthread_attr_t attr;
	pthread_t thread;

	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
	assert_int_equal(pthread_create(&thread, &attr, decode_job_run, job), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	pthread_attr_destroy(&attr);
}

/* n copies of the literal s at p + len; returns the new length. */
#define PUT_REPEAT(p, len, s, n) put_repeat((p), (len), (const uint8_t *)(s), sizeof(s) - 1, (n))

static size_t
put_repeat(uint8_t *p, size_t len, const uint8_t *s, size_t slen, size_t n)
{
	for (size_t k = 0; k < n; k++, len += slen)
		memcpy(p + len, s, slen);
	return len;
}

enum nest_kind { NEST_LIST, NEST_DICT, NEST_TUPLE_KEY };

/* The record {"k": <levels - 1 containers>} (levels JSON levels in all), or
 * for NEST_TUPLE_KEY {<levels - 1 nested 1-tuples around None>: None}; its
 * JSON to want. */
static size_t
make_nested(uint8_t *p, char *want, enum nest_kind kind, size_t levels)
{
	size_t n = levels - 1, len = 0, w = 0;

	switch (kind) {
	case NEST_LIST:
		len = PUT_REPEAT(p, len, "}X\x01\x00\x00\x00k", 1);
		len = PUT_REPEAT(p, len, "]", n);
		len = PUT_REPEAT(p, len, "a", n - 1);
		len = PUT_REPEAT(p, len, "s.", 1);
		w = (size_t)sprintf(want, "{\"k\":");
		memset(want + w, '[', n);
		memset(want + w + n, ']', n);
		strcpy(want + w + 2 * n, "}");
		break;
	case NEST_DICT:
		len = PUT_REPEAT(p, len, "}", 1);
		len = PUT_REPEAT(p, len, "X\x01\x00\x00\x00k}", n);
		len = PUT_REPEAT(p, len, "s", n);
		len = PUT_REPEAT(p, len, ".", 1);
		for (size_t k = 0; k < n; k++)
			w += (size_t)sprintf(want + w, "{\"k\":");
		w += (size_t)sprintf(want + w, "{}");
		memset(want + w, '}', n);
		want[w + n] = '\0';
		break;
	case NEST_TUPLE_KEY:
		len = PUT_REPEAT(p, len, "\x80\x02}N", 1);
		len = PUT_REPEAT(p, len, "\x85", n);
		len = PUT_REPEAT(p, len, "Ns.", 1);
		w = (size_t)sprintf(want, "{\"");
		memset(want + w, '[', n);
		w += n;
		w += (size_t)sprintf(want + w, "null");
		memset(want + w, ']', n);
		strcpy(want + w + n, "\":null}");
		break;
	}
	return len;
}

/* LC_MAX_NESTING levels come out, and no more, with the reason given; in a
 * thread with a small stack, for lists, dicts and dict keys described as
 * JSON (tuples), so the printer cannot be recursing. */
static void
test_nesting_limit_small_stack(void **state)
{
	size_t size = 16 * LC_MAX_NESTING + 64;
	uint8_t *p = malloc(size);
	char *want = malloc(size);

	(void)state;
	for (int kind = NEST_LIST; kind <= NEST_TUPLE_KEY; kind++) {
		for (size_t levels = LC_MAX_NESTING; levels <= LC_MAX_NESTING + 1; levels++) {
			struct decode_job job = {.data = p};

			job.len = make_nested(p, want, (enum nest_kind)kind, levels);
			decode_small_stack(&job);
			if (levels <= LC_MAX_NESTING) {
				assert_int_equal(job.err, PICKLE_OK);
				assert_int_equal(job.out.len, strlen(want));
				assert_memory_equal(job.out.data, want, job.out.len);
			} else {
				assert_int_equal(job.err, PICKLE_ERR_DEPTH);
				assert_string_equal(job.detail, "nested deeper than 1000 levels");
				assert_int_equal(job.out.len, 0);
			}
			buf_free(&job.out);
		}
	}
	free(p);
	free(want);
}

/* LONG4 numbers of n bytes 0xff..0x7f (2**(8n-1) - 1), count of them. */
static size_t
make_longs(uint8_t *p, size_t n, int count)
{
	size_t len = 0;

	p[len++] = '}';
	p[len++] = '(';
	for (int i = 0; i < count; i++) {
		len += (size_t)sprintf((char *)p + len, "X\x01%c%c%c%c", 0, 0, 0, 'a' + i);
		p[len++] = 0x8b;
		p[len++] = (uint8_t)n;
		p[len++] = (uint8_t)(n >> 8);
		p[len++] = (uint8_t)(n >> 16);
		p[len++] = 0;
		memset(p + len, 0xff, n - 1);
		p[len + n - 1] = 0x7f;
		len += n;
	}
	p[len++] = 'u';
	p[len++] = '.';
	return len;
}

/* Integers up to the per-number limit convert (as many as the record's
 * budget holds; their digits are checked against Python by the golden
 * test); one more byte, or one more number, is rejected. */
static void
test_long_limits(void **state)
{
	size_t n = LC_PICKLE_MAX_LONG_BYTES;
	int most = (int)(LC_PICKLE_MAX_LONG_TOTAL / LC_PICKLE_MAX_LONG_BYTES);
	uint8_t *p = malloc((size_t)(most + 1) * (n + 16) + 16);
	struct buf out;
	const char *detail;
	size_t len;

	(void)state;
	assert_true(8 * n > 100000); /* 2**100000 fits */
	len = make_longs(p, n, most);
	buf_init(&out);
	assert_int_equal(pickle_to_json(p, len, &out, TEST_MAX_OUTPUT, &detail), PICKLE_OK);
	/* 2**(8n-1) - 1 has 8n * log10(2) digits, rounded up. */
	assert_true(out.len > (size_t)most * (size_t)(8 * n * 0.30103));
	buf_free(&out);
	len = make_longs(p, n, most + 1);
	expect_error(p, len, PICKLE_ERR_TOO_BIG);
	len = make_longs(p, n + 1, 1);
	expect_error(p, len, PICKLE_ERR_TOO_BIG);
	free(p);
}

/* A key set twice comes out once: the fast path hands such records to the
 * general decoder (SETITEMS, SETITEM, a key got from the memo), which keeps
 * the first place and the last value (Python's json.dumps side is in the
 * golden test). */
static void
test_repeated_keys(void **state)
{
	(void)state;
	expect_fallback(P("}(X\x01\x00\x00\x00" "aK\x01X\x01\x00\x00\x00" "bK\x02"
			  "X\x01\x00\x00\x00" "aK\x03u."));
	expect_json(P("}(X\x01\x00\x00\x00" "aK\x01X\x01\x00\x00\x00" "bK\x02"
		      "X\x01\x00\x00\x00" "aK\x03u."),
	    "{\"a\":3,\"b\":2}");
	expect_fallback(P("}X\x01\x00\x00\x00" "aK\x01sX\x01\x00\x00\x00" "aK\x02s."));
	expect_fallback(P("}(X\x01\x00\x00\x00" "aq\x01K\x01h\x01K\x02u."));
	expect_json(P("}(X\x01\x00\x00\x00" "aq\x01K\x01h\x01K\x02u."), "{\"a\":2}");
	/* Keys that only print the same: 1 and "1"; True is 1 in Python. */
	expect_json(P("}(K\x01K\x01X\x01\x00\x00\x00" "1K\x02\x88K\x03u."), "{\"1\":3}");
	expect_json(P("}(X\x04\x00\x00\x00nullK\x01NK\x02u."), "{\"null\":2}");
	/* A record with more keys than the fast path's table: decoded whole. */
	{
		uint8_t big[2 + 100 * 11 + 2];
		size_t len = 2;

		memcpy(big, "}(", 2);
		for (int i = 0; i < 100; i++) {
			len += (size_t)sprintf((char *)big + len, "X\x04%c%c%ck%03d", 0, 0, 0, i);
			big[len++] = 'N';
		}
		memcpy(big + len, "u.", 2);
		expect_fallback(big, len + 2);
	}
}

static void
test_sniff(void **state)
{
	(void)state;
	assert_true(pickle_sniff(P("\x80\x02}")));
	assert_true(pickle_sniff(P("}q\x00")));
	assert_true(pickle_sniff(P("(dp0\n")));
	assert_false(pickle_sniff(P("{\"a\":1}")));
	assert_false(pickle_sniff(P(" {")));
	assert_false(pickle_sniff(P("")));
}

static void
test_error_names(void **state)
{
	(void)state;
	for (int e = 0; e < PICKLE_ERR_COUNT; e++) {
		assert_non_null(pickle_error_name((enum pickle_error)e));
		assert_string_not_equal(pickle_error_name((enum pickle_error)e), "unknown");
	}
	assert_string_equal(pickle_error_name(PICKLE_ERR_COUNT), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_protocol1_record),
	    cmocka_unit_test(test_protocol0_text_opcodes),
	    cmocka_unit_test(test_protocol0_unicode),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_huge_long_rejected),
	    cmocka_unit_test(test_dict_keys),
	    cmocka_unit_test(test_bytes),
	    cmocka_unit_test(test_sets),
	    cmocka_unit_test(test_objects_described),
	    cmocka_unit_test(test_memo_and_cycles),
	    cmocka_unit_test(test_python2_strings),
	    cmocka_unit_test(test_frames_and_protocol),
	    cmocka_unit_test(test_rejections),
	    cmocka_unit_test(test_depth_limit),
	    cmocka_unit_test(test_stack_limit),
	    cmocka_unit_test(test_shared_reference_bomb),
	    cmocka_unit_test(test_fuzz_lone_surrogate_output),
	    cmocka_unit_test(test_fast_scalars),
	    cmocka_unit_test(test_fast_memo),
	    cmocka_unit_test(test_fast_fallbacks),
	    cmocka_unit_test(test_fast_errors),
	    cmocka_unit_test(test_fast_output_limit),
	    cmocka_unit_test(test_fast_output_limit_last_value),
	    cmocka_unit_test(test_fast_output_bounded),
	    cmocka_unit_test(test_nesting_limit_small_stack),
	    cmocka_unit_test(test_long_limits),
	    cmocka_unit_test(test_repeated_keys),
	    cmocka_unit_test(test_sniff),
	    cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
