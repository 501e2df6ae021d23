/* bogosort: it really sorts, counts its steps exactly, and terminates with
 * repeated values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bogosort.h"

static void
check_sort(const double *in, size_t n, uint64_t want_steps)
{
	double v[BOGOSORT_MAX_ITEMS];

	for (size_t i = 0; i < n; i++)
		v[i] = in[i];
	assert_int_equal(bogosort_sort(v, n), want_steps);
	for (size_t i = 1; i < n; i++)
		assert_true(v[i - 1] <= v[i]);
}

static void
test_fixed_inputs(void **state)
{
	(void)state;
	check_sort(NULL, 0, 1);
	check_sort((const double[]){4.5}, 1, 1);
	check_sort((const double[]){1, 2, 3}, 3, 1);
	check_sort((const double[]){2, 1}, 2, 2);
	check_sort((const double[]){1, 3, 2}, 3, 2);
	/* Index orders 012 021 102 120 201 210: the last one sorts 3 2 1. */
	check_sort((const double[]){3, 2, 1}, 3, 6);
	check_sort((const double[]){4, 3, 2, 1}, 4, 24);
	check_sort((const double[]){0.5, 0.25, 0.75, 0.125}, 4, 21);
}

static void
test_duplicates(void **state)
{
	(void)state;
	check_sort((const double[]){1, 1, 1}, 3, 1);
	/* 012 (2 1 1), 021 (2 1 1), 102 (1 2 1), 120 (1 1 2). */
	check_sort((const double[]){2, 1, 1}, 3, 4);
	/* Values as itertools.permutations counts them. */
	check_sort((const double[]){3, 3, 1, 1}, 4, 17);
}

static uint64_t
factorial(size_t n)
{
	return n < 2 ? 1 : n * factorial(n - 1);
}

/* 1 + the lexicographic rank of the permutation that sorts distinct v. */
static uint64_t
expected_steps(const double *v, size_t n)
{
	uint64_t rank = 0;
	size_t used[BOGOSORT_MAX_ITEMS] = {0};

	for (size_t pos = 0; pos < n; pos++) {
		size_t min = n, smaller = 0;

		for (size_t i = 0; i < n; i++)
			if (!used[i] && (min == n || v[i] < v[min]))
				min = i;
		for (size_t i = 0; i < min; i++)
			smaller += !used[i];
		used[min] = 1;
		rank += smaller * factorial(n - 1 - pos);
	}
	return rank + 1;
}

static void
test_random_inputs(void **state)
{
	double v[8];

	(void)state;
	srand(42);
	for (int round = 0; round < 200; round++) {
		size_t n = 1 + (size_t)(rand() % 8);

		for (size_t i = 0; i < n; i++)
			v[i] = (double)rand() / RAND_MAX;
		check_sort(v, n, expected_steps(v, n));
	}
}

static void
test_next_permutation_cycles(void **state)
{
	size_t idx[4] = {0, 1, 2, 3};
	int count = 1;

	(void)state;
	while (bogosort_next_permutation(idx, 4))
		count++;
	assert_int_equal(count, 24);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(idx[i], i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_inputs),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_random_inputs),
	    cmocka_unit_test(test_next_permutation_cycles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
