#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "defaults.h"
#include "mono.h"

void
progress_init(struct progress *p, int quiet)
{
	memset(p, 0, sizeof(*p));
	p->start = mono_now();
	p->live = !quiet && isatty(STDERR_FILENO);
}

void
progress_add(struct sender_stats *sum, const struct sender_stats *st)
{
	sum->produced += st->produced;
	sum->sent += st->sent;
	sum->dropped += st->dropped;
	sum->reconnects += st->reconnects;
}

static double
progress_rate(uint64_t n, double elapsed)
{
	return elapsed > 0 ? (double)n / elapsed : 0;
}

void
progress_tick(struct progress *p, int force)
{
	double now = mono_now(), elapsed = now - p->start;

	if (!p->live || (!force && now < p->next_line))
		return;
	p->next_line = now + LCC_PROGRESS_INTERVAL;
	fprintf(stderr, "\r\033[Ksent %llu  dropped %llu  %.0f records/s  %.1f s",
		(unsigned long long)p->st.sent, (unsigned long long)p->st.dropped,
		progress_rate(p->st.sent, elapsed), elapsed);
	if (p->workers)
		fprintf(stderr, "  workers done %u/%u", p->workers_done, p->workers);
	fflush(stderr);
}

/* CPU time of this process and its reaped children, in seconds. */
static double
progress_cpu(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
			kids.ru_stime.tv_sec) +
	       (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
			kids.ru_stime.tv_usec) /
		   1e6;
}

static void
progress_json(const struct progress *p, double elapsed, double cpu)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddNumberToObject(o, "records_produced", (double)p->st.produced);
	cJSON_AddNumberToObject(o, "records_sent", (double)p->st.sent);
	cJSON_AddNumberToObject(o, "records_dropped", (double)p->st.dropped);
	cJSON_AddNumberToObject(o, "reconnects", (double)p->st.reconnects);
	cJSON_AddNumberToObject(o, "elapsed_s", elapsed);
	cJSON_AddNumberToObject(o, "records_per_s", progress_rate(p->st.sent, elapsed));
	cJSON_AddNumberToObject(o, "cpu_s", cpu);
	cJSON_AddNumberToObject(o, "workers", p->workers);
	cJSON_AddNumberToObject(o, "connections", p->connections);
	if ((text = cJSON_PrintUnformatted(o)) != NULL) {
		printf("%s\n", text);
		fflush(stdout);
		cJSON_free(text);
	}
	cJSON_Delete(o);
}

void
progress_summary(struct progress *p, int quiet, int json)
{
	double elapsed = mono_now() - p->start, cpu = progress_cpu();

	if (p->live)
		fprintf(stderr, "\r\033[K");
	if (!quiet)
		fprintf(stderr,
			"logcatcher-client: %llu records sent, %llu dropped (of %llu), "
			"%llu reconnects, %.3f s, %.0f records/s, %.3f s CPU\n",
			(unsigned long long)p->st.sent, (unsigned long long)p->st.dropped,
			(unsigned long long)p->st.produced, (unsigned long long)p->st.reconnects,
			elapsed, progress_rate(p->st.sent, elapsed), cpu);
	if (json)
		progress_json(p, elapsed, cpu);
}
