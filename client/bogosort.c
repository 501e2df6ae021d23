#include "bogosort.h"

#include <assert.h>
#include <string.h>

static void
bogosort_swap(size_t *a, size_t *b)
{
	size_t t = *a;

	*a = *b;
	*b = t;
}

static void
bogosort_reverse(size_t *idx, size_t n)
{
	for (size_t i = 0; i < n / 2; i++)
		bogosort_swap(&idx[i], &idx[n - 1 - i]);
}

int
bogosort_next_permutation(size_t *idx, size_t n)
{
	size_t i, j;

	if (n < 2)
		return 0;
	/* The longest non-increasing suffix starts at i. */
	for (i = n - 1; i > 0 && idx[i - 1] >= idx[i]; i--)
		;
	if (i == 0) {
		bogosort_reverse(idx, n);
		return 0;
	}
	for (j = n - 1; idx[j] <= idx[i - 1]; j--)
		;
	bogosort_swap(&idx[i - 1], &idx[j]);
	bogosort_reverse(idx + i, n - i);
	return 1;
}

static int
bogosort_is_sorted(const double *v, const size_t *idx, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[idx[i - 1]] > v[idx[i]])
			return 0;
	return 1;
}

uint64_t
bogosort_sort(double *v, size_t n)
{
	size_t idx[BOGOSORT_MAX_ITEMS];
	double sorted[BOGOSORT_MAX_ITEMS];
	uint64_t steps = 1;

	assert(n <= BOGOSORT_MAX_ITEMS);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	/* Positions are distinct, so the walk visits all n! orders and one of
	 * them is sorted even when values repeat. */
	while (!bogosort_is_sorted(v, idx, n)) {
		bogosort_next_permutation(idx, n);
		steps++;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = v[idx[i]];
	memcpy(v, sorted, n * sizeof(*v));
	return steps;
}
