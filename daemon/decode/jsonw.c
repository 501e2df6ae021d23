/*
 * JSON text writers shared by the decoders. They print what Python's
 * json.dumps(..., ensure_ascii=False) prints, so a record decoded from a
 * pickle reads the same as the Python side would have written it:
 *
 * - strings: '"', '\\' and control characters escaped the way json.dumps
 *   escapes them (\n, \t, ..., \u001f); other text is copied as UTF-8. A lone
 *   surrogate (ED A0..BF xx, what pickle's "surrogatepass" produces) becomes a
 *   \udXXX escape, so the output stays valid UTF-8 and means what Python meant.
 * - floats: repr() form (shortest digits that read back to the same double,
 *   always with a '.' or an exponent so a float stays a float); NaN and
 *   infinities, which strict JSON cannot hold, become null.
 *
 * snprintf/strtod are used in the C locale (the daemon never calls
 * setlocale), so the decimal point is '.'.
 */
#include "decode/jsonw.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/utf8.h"

static void
jsonw_escape_ascii(struct buf *out, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	static const char short_form[128] = {['"'] = '"', ['\\'] = '\\', ['\n'] = 'n',
	    ['\r'] = 'r', ['\t'] = 't', ['\b'] = 'b', ['\f'] = 'f'};
	char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

	if (short_form[c] != 0) {
		esc[1] = short_form[c];
		buf_append(out, esc, 2);
	} else {
		buf_append(out, esc, sizeof(esc));
	}
}

/*
 * Length of the UTF-8 sequence at s[0] (a byte >= 0x80): 0 if invalid.
 * *surrogate is set for ED A0..BF xx, which utf8_check rightly refuses but
 * pickle's surrogatepass produces.
 */
static size_t
jsonw_utf8_seq(const uint8_t *s, size_t left, int *surrogate)
{
	size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;

	*surrogate = left >= 3 && s[0] == 0xed && s[1] >= 0xa0 && s[1] <= 0xbf &&
		     (s[2] & 0xc0) == 0x80;
	if (*surrogate)
		return 3;
	if (left < n)
		return 0;
	return utf8_check(s, n) == n ? n : 0;
}

int
jsonw_string_escaped(struct buf *out, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = out->len, i = 0;

	buf_reserve(out, len + 2);
	out->data[out->len++] = '"';
	while (i < len) {
		size_t run = i, n = 0;
		int surrogate = 0;

		/* Copy the longest stretch that needs no escaping in one go. */
		while (i < len) {
			if (jsonw_plain(s[i])) {
				i++;
				continue;
			}
			if (s[i] < 0x80)
				break;
			n = jsonw_utf8_seq(s + i, len - i, &surrogate);
			if (n == 0 || surrogate)
				break;
			i += n;
		}
		buf_append(out, s + run, i - run);
		if (i == len)
			break;
		if (s[i] < 0x80) {
			jsonw_escape_ascii(out, s[i++]);
			continue;
		}
		if (n == 0) {
			buf_truncate(out, start);
			return -1;
		}
		/* A lone surrogate: U+D800..U+DFFF as json.dumps writes it. */
		{
			unsigned cp = 0xd000u | (unsigned)(s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
			char esc[6] = {'\\', 'u', 'd', hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
			    hex[cp & 15]};

			buf_append(out, esc, sizeof(esc));
			i += 3;
		}
	}
	buf_putc(out, '"');
	return 0;
}

/* Write the decimal digits of u (at least minlen of them, zero-padded) so
 * they end at end, two at a time, four per 64-bit division; returns where
 * they start. */
static char *
jsonw_u64(char *end, uint64_t u, int minlen)
{
	static const char pairs[] = "0001020304050607080910111213141516171819"
				    "2021222324252627282930313233343536373839"
				    "4041424344454647484950515253545556575859"
				    "6061626364656667686970717273747576777879"
				    "8081828384858687888990919293949596979899";
	char *p = end;

	for (; u >= 10000; u /= 10000) {
		uint32_t q = (uint32_t)(u % 10000);

		memcpy(p -= 2, pairs + q % 100 * 2, 2);
		memcpy(p -= 2, pairs + q / 100 * 2, 2);
	}
	if (u >= 100) {
		memcpy(p -= 2, pairs + u % 100 * 2, 2);
		u /= 100;
	}
	if (u >= 10)
		memcpy(p -= 2, pairs + u * 2, 2);
	else
		*--p = (char)('0' + u);
	while (end - p < minlen)
		*--p = '0';
	return p;
}

void
jsonw_int(struct buf *out, int64_t v)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p;

	p = jsonw_u64(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 1);
	if (v < 0)
		*--p = '-';
	buf_append(out, p, (size_t)(end - p));
}

/* Write an integral value below 1e16 exactly, without going through printf. */
static void
jsonw_integral(struct buf *out, double v)
{
	jsonw_int(out, (int64_t)v);
	buf_append(out, ".0", 2);
}

/*
 * Shortest decimal digits of v (no sign, no trailing zeros) and the decimal
 * point position: v = 0.DIGITS * 10^decpt. Tries 15, 16 then 17 significant
 * digits: 17 always round-trip, and within 15 digits the correctly rounded
 * form with its zeros stripped is the shortest one. Subnormals have fewer
 * significant bits, so for them every precision is tried from 1.
 */
static size_t
jsonw_digits(double v, char *digits, int *decpt)
{
	char tmp[40];
	size_t n = 0;
	int exp;

	for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, fabs(v));
		if (prec == 17 || strtod(tmp, NULL) == fabs(v))
			break;
	}
	/* tmp is "D.DDDDe[+-]XX" */
	for (const char *p = tmp; *p != 'e'; p++)
		if (*p != '.')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	exp = atoi(strchr(tmp, 'e') + 1);
	*decpt = exp + 1;
	return n;
}

/* floor(t * log10(2)), for |t| < 1650 (78913 / 2^18 is close enough). */
static int
jsonw_floor_log10_pow2(int t)
{
	int n = t * 78913;

	return n >= 0 ? n >> 18 : -((-n + (1 << 18) - 1) >> 18);
}

/*
 * Shortest round-trip form of v for 1e-4 <= |v| < 1e16 (not integral), where
 * repr() uses fixed notation. v = m * 2^e exactly, so 128-bit integers keep
 * it all exact: scaled by 10^k, with k fraction digits enough for 17
 * significant ones (which always leave a candidate), vm..vp are the integers
 * inside v's rounding interval; drop trailing digits while a multiple of ten
 * is still inside (the fewest digits), then take the candidate nearest v,
 * ties to even. This is the common case (timestamps, durations) and avoids
 * printf's slow path. Returns 0 if v is outside the range it handles.
 */
static int
jsonw_double_fixed(struct buf *out, double v)
{
	typedef unsigned __int128 u128;
	static const uint64_t pow10[20] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
	    100000000, 1000000000, 10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
	    100000000000000u, 1000000000000000u, 10000000000000000u, 100000000000000000u,
	    1000000000000000000u, 10000000000000000000u};
	double a = fabs(v);
	uint64_t bits, m, vm, vp, d, rem, split;
	int e, shift, k, j = 0;
	u128 scale, lo, hi, x, mask, twice_rem, step;
	char tmp[48], *end = tmp + sizeof(tmp), *p;

	if (!(a >= 1e-4 && a < 1e16))
		return 0;
	memcpy(&bits, &a, sizeof(bits));
	m = (bits & (((uint64_t)1 << 52) - 1)) | (uint64_t)1 << 52;
	e = (int)(bits >> 52) - 1075; /* a = m * 2^e, and 2^(e + 52) <= a */
	shift = 2 - e;                /* lo, hi, x are in units of 2^(e - 2) */
	k = 16 - jsonw_floor_log10_pow2(e + 52);
	scale = (u128)pow10[k / 2] * pow10[k - k / 2];
	x = ((u128)m << 2) * scale;
	lo = x - (m == (uint64_t)1 << 52 ? scale : scale << 1);
	hi = x + (scale << 1);
	mask = ((u128)1 << shift) - 1;
	/* An odd mantissa does not own its interval's ends (ties go to even). */
	vm = (uint64_t)(lo >> shift) + ((lo & mask) != 0 || (m & 1));
	vp = (uint64_t)(hi >> shift) - ((hi & mask) == 0 && (m & 1));
	for (; vp / 10 >= (vm + 9) / 10; j++) {
		vp /= 10;
		vm = (vm + 9) / 10;
	}
	d = (uint64_t)(x >> shift) / pow10[j];
	rem = (uint64_t)(x >> shift) % pow10[j];
	twice_rem = (((u128)rem << shift) + (x & mask)) << 1;
	step = (u128)pow10[j] << shift; /* one candidate apart, in x's units */
	d += twice_rem > step || (twice_rem == step && (d & 1));
	d = d < vm ? vm : d > vp ? vp : d;
	k -= j; /* >= 1: no integer is inside the interval of a non-integral v */
	split = pow10[k < 19 ? k : 19]; /* d < 10^18: 10^19 splits it like 10^k */
	p = jsonw_u64(end, d % split, k);
	*--p = '.';
	p = jsonw_u64(p, d / split, 1);
	if (v < 0)
		*--p = '-';
	buf_append(out, p, (size_t)(end - p));
	return 1;
}

void
jsonw_double(struct buf *out, double v)
{
	char digits[24], tmp[48];
	size_t n, k = 0;
	int decpt;

	if (!isfinite(v)) {
		buf_append(out, "null", 4);
		return;
	}
	if (v == 0) {
		buf_puts(out, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	if (fabs(v) < 1e16 && v == (double)(int64_t)v) {
		jsonw_integral(out, v);
		return;
	}
	if (jsonw_double_fixed(out, v))
		return;
	n = jsonw_digits(v, digits, &decpt);
	if (v < 0)
		tmp[k++] = '-';
	if (decpt <= -4 || decpt > 16) {
		/* Exponent form, as repr(): 1e+16, 1.5e-07 */
		tmp[k++] = digits[0];
		if (n > 1) {
			tmp[k++] = '.';
			memcpy(tmp + k, digits + 1, n - 1);
			k += n - 1;
		}
		k += (size_t)snprintf(tmp + k, sizeof(tmp) - k, "e%c%02d", decpt - 1 < 0 ? '-' : '+',
		    abs(decpt - 1));
	} else if (decpt <= 0) {
		tmp[k++] = '0';
		tmp[k++] = '.';
		for (int z = decpt; z < 0; z++)
			tmp[k++] = '0';
		memcpy(tmp + k, digits, n);
		k += n;
	} else if ((size_t)decpt >= n) {
		memcpy(tmp + k, digits, n);
		k += n;
		for (size_t z = n; z < (size_t)decpt; z++)
			tmp[k++] = '0';
		tmp[k++] = '.';
		tmp[k++] = '0';
	} else {
		memcpy(tmp + k, digits, (size_t)decpt);
		k += (size_t)decpt;
		tmp[k++] = '.';
		memcpy(tmp + k, digits + decpt, n - (size_t)decpt);
		k += n - (size_t)decpt;
	}
	buf_append(out, tmp, k);
}

void
jsonw_base64(struct buf *out, const uint8_t *data, size_t len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	char *p;

	buf_reserve(out, (len + 2) / 3 * 4);
	p = out->data + out->len;
	for (; len - i >= 3; i += 3) {
		uint32_t w = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];

		*p++ = b64[w >> 18];
		*p++ = b64[(w >> 12) & 63];
		*p++ = b64[(w >> 6) & 63];
		*p++ = b64[w & 63];
	}
	if (len - i > 0) {
		uint32_t w = (uint32_t)data[i] << 16 | (len - i > 1 ? (uint32_t)data[i + 1] << 8 : 0);

		*p++ = b64[w >> 18];
		*p++ = b64[(w >> 12) & 63];
		*p++ = len - i > 1 ? b64[(w >> 6) & 63] : '=';
		*p++ = '=';
	}
	out->len = (size_t)(p - out->data);
}
