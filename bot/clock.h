/*
 * The scheduler's one notion of "now".  Everything that decides when a
 * reminder is due asks clock_now_ms(), so a unit test can pin the clock
 * to a fixed instant and check times to the second; the product itself
 * never sets it and always reads the real wall clock.
 */
#ifndef PMBOT_CLOCK_H
#define PMBOT_CLOCK_H

/* Wall-clock time in milliseconds since the epoch (UTC). */
long long clock_now_ms(void);

/* Unit tests only: pins clock_now_ms() to ms; 0 returns to real time. */
void clock_set_ms(long long ms);

#endif
