/*
 * logcatcherd: collects length-prefixed log records (Python logging pickles
 * or JSON objects) from TCP/UDP clients into a JSON Lines file.
 * main() only wires: configuration, logging, then the collector.
 */
#include "base/log.h"
#include "collector.h"
#include "ops/config.h"

int
main(int argc, char **argv)
{
	struct config cfg;
	enum collector_exit rc;

	log_init(LOG_LEVEL_INFO);
	config_init(&cfg);
	switch (config_from_args(&cfg, argc, argv)) {
	case CONFIG_OK:
		break;
	case CONFIG_EXIT:
		config_free(&cfg);
		return COLLECTOR_EXIT_OK;
	case CONFIG_ERROR:
		config_free(&cfg);
		return COLLECTOR_EXIT_USAGE;
	}
	log_set_level(cfg.log_level);
	rc = collector_run(&cfg);
	config_free(&cfg);
	return (int)rc;
}
