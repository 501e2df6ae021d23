#include "decode/record.h"

#include "decode/jsonrec.h"
#include "decode/pickle.h"

static enum record_reject
record_pickle(const uint8_t *data, size_t len, struct buf *out, size_t max_output,
    const char **reason)
{
	const char *detail = NULL;
	enum pickle_error err = pickle_to_json(data, len, out, max_output, &detail);

	if (err != PICKLE_OK) {
		*reason = detail ? detail : pickle_error_name(err);
		return RECORD_BAD_PICKLE;
	}
	buf_putc(out, '\n');
	return RECORD_OK;
}

int
record_is_json(enum record_format format, const uint8_t *data, size_t len)
{
	return format == FORMAT_JSON || (format == FORMAT_AUTO && jsonrec_sniff(data, len));
}

enum record_reject
record_json_line_at(const uint8_t *data, size_t len, uint8_t *dst, size_t *linelen,
    const char **reason)
{
	return jsonrec_line_at(data, len, dst, linelen, reason) == 0 ? RECORD_OK
								       : RECORD_BAD_JSON;
}

enum record_reject
record_to_line(enum record_format format, const uint8_t *data, size_t len, struct buf *out,
    size_t max_output, const char **reason)
{
	if (record_is_json(format, data, len))
		return jsonrec_to_line(data, len, out, reason) == 0 ? RECORD_OK : RECORD_BAD_JSON;
	if (format == FORMAT_PICKLE || pickle_sniff(data, len))
		return record_pickle(data, len, out, max_output, reason);
	*reason = "payload is neither a JSON object nor a pickle";
	return RECORD_BAD_FORMAT;
}
