/* Clocks: monotonic seconds for intervals, wall-clock seconds for records. */
#ifndef LCC_MONO_H
#define LCC_MONO_H

double mono_now(void);
double mono_wall(void);
/* Milliseconds from now until `when` (monotonic), clamped to [0, INT_MAX]. */
int mono_ms_until(double when);

#endif
