/*
 * Permutation bogosort: try the permutations of the input in lexicographic
 * order of positions (as itertools.permutations yields them) until one is
 * sorted. Deliberately terrible: up to n! steps. Pure; no I/O.
 */
#ifndef LCC_BOGOSORT_H
#define LCC_BOGOSORT_H

#include <stddef.h>
#include <stdint.h>

/* The largest n bogosort_sort accepts (its index array is on the stack). */
#define BOGOSORT_MAX_ITEMS 20

/*
 * Sort v[0..n) ascending in place and return the number of permutations
 * tried, counting the sorted one (1 for already sorted input). Equal values
 * are fine: some permutation is always sorted. n must be <= BOGOSORT_MAX_ITEMS.
 */
uint64_t bogosort_sort(double *v, size_t n);

/* Rearrange idx[0..n) into the next permutation in lexicographic order;
 * return 0 after the last one (idx is then back at the first). */
int bogosort_next_permutation(size_t *idx, size_t n);

#endif
