/*
 * The /remind phrase table: every phrase people type, read from a fixed
 * "now" (Friday 2026-03-06 10:00 PST, two days before the US switch to
 * daylight time) in America/Los_Angeles, with the UTC instant each must
 * resolve to, the rule for repetitions, the text left over, or the
 * reason it is refused.  Expected instants were written as local times
 * and converted with the tz rules, so a row that passes fires when the
 * user meant it to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "recur.h"
#include "when.h"

#define NOW_MS 1772820000000LL /* 2026-03-06T18:00:00Z */
#define ZONE "America/Los_Angeles"

struct row {
	const char *phrase;
	const char *utc;   /* the (first) firing, or NULL for a refusal */
	const char *rrule; /* repetitions only */
	const char *error; /* a refusal: part of the reason */
	const char *what;  /* the text after the phrase */
};

static const struct row rows[] = {
    {"in 10 minutes x", "2026-03-06T18:10:00Z", NULL, NULL, "x"},
    {"in 90 minutes x", "2026-03-06T19:30:00Z", NULL, NULL, "x"},
    {"in 1 hour x", "2026-03-06T19:00:00Z", NULL, NULL, "x"},
    {"in an hour x", "2026-03-06T19:00:00Z", NULL, NULL, "x"},
    {"in a minute x", "2026-03-06T18:01:00Z", NULL, NULL, "x"},
    {"in half an hour x", "2026-03-06T18:30:00Z", NULL, NULL, "x"},
    {"in 2 hours x", "2026-03-06T20:00:00Z", NULL, NULL, "x"},
    {"in 1h30m x", "2026-03-06T19:30:00Z", NULL, NULL, "x"},
    {"in 90m x", "2026-03-06T19:30:00Z", NULL, NULL, "x"},
    {"in 2h x", "2026-03-06T20:00:00Z", NULL, NULL, "x"},
    {"in 45s x", "2026-03-06T18:00:45Z", NULL, NULL, "x"},
    {"in 30 seconds x", "2026-03-06T18:00:30Z", NULL, NULL, "x"},
    {"in 5 seconds x", "2026-03-06T18:00:05Z", NULL, NULL, "x"},
    {"in 1 hour 30 minutes x", "2026-03-06T19:30:00Z", NULL, NULL, "x"},
    {"in 1 hour and 30 minutes x", "2026-03-06T19:30:00Z", NULL, NULL, "x"},
    {"in 2h 15m x", "2026-03-06T20:15:00Z", NULL, NULL, "x"},
    {"in 1 and a half hours x", "2026-03-06T19:30:00Z", NULL, NULL, "x"},
    {"in 1.5 hours x", "2026-03-06T19:30:00Z", NULL, NULL, "x"},
    {"in two hours x", "2026-03-06T20:00:00Z", NULL, NULL, "x"},
    {"in ten minutes x", "2026-03-06T18:10:00Z", NULL, NULL, "x"},
    {"in 5 min x", "2026-03-06T18:05:00Z", NULL, NULL, "x"},
    {"in 5 mins x", "2026-03-06T18:05:00Z", NULL, NULL, "x"},
    {"in 5m x", "2026-03-06T18:05:00Z", NULL, NULL, "x"},
    {"in 3 hrs x", "2026-03-06T21:00:00Z", NULL, NULL, "x"},
    {"in 15 MINUTES x", "2026-03-06T18:15:00Z", NULL, NULL, "x"},
    {"in 1 day x", "2026-03-07T18:00:00Z", NULL, NULL, "x"},
    {"in 2 days x", "2026-03-08T17:00:00Z", NULL, NULL, "x"},
    {"in 1 week x", "2026-03-13T17:00:00Z", NULL, NULL, "x"},
    {"in 2 weeks x", "2026-03-20T17:00:00Z", NULL, NULL, "x"},
    {"in 3 days at 9am x", "2026-03-09T16:00:00Z", NULL, NULL, "x"},
    {"in 1d x", "2026-03-07T18:00:00Z", NULL, NULL, "x"},
    {"in 12 hours x", "2026-03-07T06:00:00Z", NULL, NULL, "x"},
    {"in 24 hours x", "2026-03-07T18:00:00Z", NULL, NULL, "x"},
    {"in 48 hours x", "2026-03-08T18:00:00Z", NULL, NULL, "x"},
    {"at 15:00 x", "2026-03-06T23:00:00Z", NULL, NULL, "x"},
    {"at 3pm x", "2026-03-06T23:00:00Z", NULL, NULL, "x"},
    {"at 3 pm x", "2026-03-06T23:00:00Z", NULL, NULL, "x"},
    {"at 3PM x", "2026-03-06T23:00:00Z", NULL, NULL, "x"},
    {"at 3:30pm x", "2026-03-06T23:30:00Z", NULL, NULL, "x"},
    {"at 3:30 pm x", "2026-03-06T23:30:00Z", NULL, NULL, "x"},
    {"at 15:30 x", "2026-03-06T23:30:00Z", NULL, NULL, "x"},
    {"at 9.30pm x", "2026-03-07T05:30:00Z", NULL, NULL, "x"},
    {"at 5 p.m. x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"at 9am x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"at 9 x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"at 10 x", "2026-03-07T18:00:00Z", NULL, NULL, "x"},
    {"at 10:01 x", "2026-03-06T18:01:00Z", NULL, NULL, "x"},
    {"at 11 x", "2026-03-06T19:00:00Z", NULL, NULL, "x"},
    {"at noon x", "2026-03-06T20:00:00Z", NULL, NULL, "x"},
    {"at midnight x", "2026-03-07T08:00:00Z", NULL, NULL, "x"},
    {"at 12am x", "2026-03-07T08:00:00Z", NULL, NULL, "x"},
    {"at 12pm x", "2026-03-06T20:00:00Z", NULL, NULL, "x"},
    {"at 12:30am x", "2026-03-07T08:30:00Z", NULL, NULL, "x"},
    {"at 23:59 x", "2026-03-07T07:59:00Z", NULL, NULL, "x"},
    {"at 0:00 x", "2026-03-07T08:00:00Z", NULL, NULL, "x"},
    {"at 09:45 x", "2026-03-07T17:45:00Z", NULL, NULL, "x"},
    {"3pm x", "2026-03-06T23:00:00Z", NULL, NULL, "x"},
    {"15:00 x", "2026-03-06T23:00:00Z", NULL, NULL, "x"},
    {"4:15pm x", "2026-03-07T00:15:00Z", NULL, NULL, "x"},
    {"noon x", "2026-03-06T20:00:00Z", NULL, NULL, "x"},
    {"tomorrow x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"tomorrow 9am x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"tomorrow at 9am x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"9am tomorrow x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"at 9am tomorrow x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"tomorrow at 17:30 x", "2026-03-08T01:30:00Z", NULL, NULL, "x"},
    {"Tomorrow at noon x", "2026-03-07T20:00:00Z", NULL, NULL, "x"},
    {"tmrw 8am x", "2026-03-07T16:00:00Z", NULL, NULL, "x"},
    {"today at 5pm x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"today 5pm x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"tonight x", "2026-03-07T04:00:00Z", NULL, NULL, "x"},
    {"tonight at 9pm x", "2026-03-07T05:00:00Z", NULL, NULL, "x"},
    {"eod x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"end of day x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"end of the day x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"this evening x", "2026-03-07T02:00:00Z", NULL, NULL, "x"},
    {"this afternoon x", "2026-03-06T22:00:00Z", NULL, NULL, "x"},
    {"on Friday x", "2026-03-13T16:00:00Z", NULL, NULL, "x"},
    {"on Friday at 5pm x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"Friday 5pm x", "2026-03-07T01:00:00Z", NULL, NULL, "x"},
    {"friday at 9am x", "2026-03-13T16:00:00Z", NULL, NULL, "x"},
    {"on Monday x", "2026-03-09T16:00:00Z", NULL, NULL, "x"},
    {"Monday at 10:00 x", "2026-03-09T17:00:00Z", NULL, NULL, "x"},
    {"on mon x", "2026-03-09T16:00:00Z", NULL, NULL, "x"},
    {"on Tuesday x", "2026-03-10T16:00:00Z", NULL, NULL, "x"},
    {"on tue at 4pm x", "2026-03-10T23:00:00Z", NULL, NULL, "x"},
    {"on Wednesday x", "2026-03-11T16:00:00Z", NULL, NULL, "x"},
    {"on wed 11:00 x", "2026-03-11T18:00:00Z", NULL, NULL, "x"},
    {"on Thursday x", "2026-03-12T16:00:00Z", NULL, NULL, "x"},
    {"on thurs at 8am x", "2026-03-12T15:00:00Z", NULL, NULL, "x"},
    {"on Saturday x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"on Saturday at 23:00 x", "2026-03-08T07:00:00Z", NULL, NULL, "x"},
    {"on Sunday x", "2026-03-08T16:00:00Z", NULL, NULL, "x"},
    {"this Sunday x", "2026-03-08T16:00:00Z", NULL, NULL, "x"},
    {"next Monday x", "2026-03-09T16:00:00Z", NULL, NULL, "x"},
    {"next Monday at 10:00 x", "2026-03-09T17:00:00Z", NULL, NULL, "x"},
    {"next Friday x", "2026-03-13T16:00:00Z", NULL, NULL, "x"},
    {"next friday at 5pm x", "2026-03-14T00:00:00Z", NULL, NULL, "x"},
    {"next Saturday x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"next week x", "2026-03-09T16:00:00Z", NULL, NULL, "x"},
    {"next month x", "2026-04-01T16:00:00Z", NULL, NULL, "x"},
    {"next week at 2pm x", "2026-03-09T21:00:00Z", NULL, NULL, "x"},
    {"on Dec 1 x", "2026-12-01T17:00:00Z", NULL, NULL, "x"},
    {"on December 1st x", "2026-12-01T17:00:00Z", NULL, NULL, "x"},
    {"on 1 Dec x", "2026-12-01T17:00:00Z", NULL, NULL, "x"},
    {"on 1st of December x", "2026-12-01T17:00:00Z", NULL, NULL, "x"},
    {"Dec 1 x", "2026-12-01T17:00:00Z", NULL, NULL, "x"},
    {"on Dec 1 at 10:00 x", "2026-12-01T18:00:00Z", NULL, NULL, "x"},
    {"on 2026-12-01 x", "2026-12-01T17:00:00Z", NULL, NULL, "x"},
    {"on 2026-12-01 at 10:00 x", "2026-12-01T18:00:00Z", NULL, NULL, "x"},
    {"2026-12-01 10:00 x", "2026-12-01T18:00:00Z", NULL, NULL, "x"},
    {"on Dec 1 2027 x", "2027-12-01T17:00:00Z", NULL, NULL, "x"},
    {"on Dec 1, 2027 x", "2027-12-01T17:00:00Z", NULL, NULL, "x"},
    {"on Jan 15 x", "2027-01-15T17:00:00Z", NULL, NULL, "x"},
    {"on March 6 x", "2027-03-06T17:00:00Z", NULL, NULL, "x"},
    {"on March 6 at 11am x", "2026-03-06T19:00:00Z", NULL, NULL, "x"},
    {"on mar 7 x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"on Sept 30 at 18:00 x", "2026-10-01T01:00:00Z", NULL, NULL, "x"},
    {"on the 15th x", "2026-03-15T16:00:00Z", NULL, NULL, "x"},
    {"on the 1st x", "2026-04-01T16:00:00Z", NULL, NULL, "x"},
    {"on the 31st x", "2026-03-31T16:00:00Z", NULL, NULL, "x"},
    {"on the 6th at 11:00 x", "2026-03-06T19:00:00Z", NULL, NULL, "x"},
    {"on Feb 29 x", "2028-02-29T17:00:00Z", NULL, NULL, "x"},
    {"on 2026-03-10 at 8:15 x", "2026-03-10T15:15:00Z", NULL, NULL, "x"},
    {"on 2026-07-04 at noon x", "2026-07-04T19:00:00Z", NULL, NULL, "x"},
    {"at 3pm PT x", "2026-03-06T23:00:00Z", NULL, NULL, "x"},
    {"at 3pm UTC x", "2026-03-07T15:00:00Z", NULL, NULL, "x"},
    {"at 19:00 utc x", "2026-03-06T19:00:00Z", NULL, NULL, "x"},
    {"at 15:00 Europe/Berlin x", "2026-03-07T14:00:00Z", NULL, NULL, "x"},
    {"tomorrow 9am ET x", "2026-03-07T14:00:00Z", NULL, NULL, "x"},
    {"at 9am CET x", "2026-03-07T08:00:00Z", NULL, NULL, "x"},
    {"on Monday at 9 UTC x", "2026-03-09T09:00:00Z", NULL, NULL, "x"},
    {"PT tomorrow 9am x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"at 5pm Asia/Tokyo x", "2026-03-07T08:00:00Z", NULL, NULL, "x"},
    {"in 2 hours UTC x", "2026-03-06T20:00:00Z", NULL, NULL, "x"},
    {"at 9am gmt x", "2026-03-07T09:00:00Z", NULL, NULL, "x"},
    {"tomorrow at 8 am PST x", "2026-03-07T16:00:00Z", NULL, NULL, "x"},
    {"on Monday 9am EST x", "2026-03-09T13:00:00Z", NULL, NULL, "x"},
    {"at 11:00 America/Chicago x", "2026-03-07T17:00:00Z", NULL, NULL, "x"},
    {"at 13:00 America/Chicago x", "2026-03-06T19:00:00Z", NULL, NULL, "x"},
    {"on 2026-12-01 at 10:00 Europe/London x", "2026-12-01T10:00:00Z", NULL,
	NULL, "x"},
    {"every day x", "2026-03-07T17:00:00Z", "FREQ=DAILY", NULL, "x"},
    {"every day at 9am x", "2026-03-07T17:00:00Z", "FREQ=DAILY", NULL, "x"},
    {"every day at 11 x", "2026-03-06T19:00:00Z", "FREQ=DAILY", NULL, "x"},
    {"daily at 8:30 x", "2026-03-07T16:30:00Z", "FREQ=DAILY", NULL, "x"},
    {"every weekday x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "x"},
    {"every weekday at 9 x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "x"},
    {"every weekday at 10:30 x", "2026-03-06T18:30:00Z",
	"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "x"},
    {"every weekdays at 9 x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "x"},
    {"every working day at 9 x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "x"},
    {"at 9 every weekday x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "x"},
    {"every Monday x", "2026-03-09T16:00:00Z", "FREQ=WEEKLY;BYDAY=MO", NULL,
	"x"},
    {"every Tuesday x", "2026-03-10T16:00:00Z", "FREQ=WEEKLY;BYDAY=TU", NULL,
	"x"},
    {"every Wednesday at 9:00 x", "2026-03-11T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=WE", NULL, "x"},
    {"every Thursday at 4pm x", "2026-03-12T23:00:00Z", "FREQ=WEEKLY;BYDAY=TH",
	NULL, "x"},
    {"every Friday x", "2026-03-13T16:00:00Z", "FREQ=WEEKLY;BYDAY=FR", NULL,
	"x"},
    {"every Saturday at 10 x", "2026-03-07T18:00:00Z", "FREQ=WEEKLY;BYDAY=SA",
	NULL, "x"},
    {"every Sunday x", "2026-03-08T16:00:00Z", "FREQ=WEEKLY;BYDAY=SU", NULL,
	"x"},
    {"every mondays x", "2026-03-09T16:00:00Z", "FREQ=WEEKLY;BYDAY=MO", NULL,
	"x"},
    {"every Monday and Wednesday x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,WE", NULL, "x"},
    {"every Mon, Wed and Fri at 10 x", "2026-03-09T17:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,WE,FR", NULL, "x"},
    {"every tuesday & thursday at 14:00 x", "2026-03-10T21:00:00Z",
	"FREQ=WEEKLY;BYDAY=TU,TH", NULL, "x"},
    {"every other Friday x", "2026-03-13T16:00:00Z",
	"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", NULL, "x"},
    {"every other friday at 11am x", "2026-03-06T19:00:00Z",
	"FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", NULL, "x"},
    {"every other day x", "2026-03-07T17:00:00Z", "FREQ=DAILY;INTERVAL=2", NULL,
	"x"},
    {"every 2 weeks on Monday x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", NULL, "x"},
    {"every 3 days x", "2026-03-07T17:00:00Z", "FREQ=DAILY;INTERVAL=3", NULL,
	"x"},
    {"every week x", "2026-03-13T16:00:00Z", "FREQ=WEEKLY;BYDAY=FR", NULL, "x"},
    {"weekly x", "2026-03-13T16:00:00Z", "FREQ=WEEKLY;BYDAY=FR", NULL, "x"},
    {"every week on Tuesday at 3pm x", "2026-03-10T22:00:00Z",
	"FREQ=WEEKLY;BYDAY=TU", NULL, "x"},
    {"every 1st Monday x", "2026-04-06T16:00:00Z", "FREQ=MONTHLY;BYDAY=1MO",
	NULL, "x"},
    {"every first Monday of the month x", "2026-04-06T16:00:00Z",
	"FREQ=MONTHLY;BYDAY=1MO", NULL, "x"},
    {"every 2nd Tuesday at 10 x", "2026-03-10T17:00:00Z",
	"FREQ=MONTHLY;BYDAY=2TU", NULL, "x"},
    {"every third Wednesday x", "2026-03-18T16:00:00Z",
	"FREQ=MONTHLY;BYDAY=3WE", NULL, "x"},
    {"every last Friday x", "2026-03-27T16:00:00Z", "FREQ=MONTHLY;BYDAY=-1FR",
	NULL, "x"},
    {"every last Friday of the month at 16:00 x", "2026-03-27T23:00:00Z",
	"FREQ=MONTHLY;BYDAY=-1FR", NULL, "x"},
    {"every month on the 15th x", "2026-03-15T16:00:00Z",
	"FREQ=MONTHLY;BYMONTHDAY=15", NULL, "x"},
    {"every month on the 1st at 8am x", "2026-04-01T15:00:00Z",
	"FREQ=MONTHLY;BYMONTHDAY=1", NULL, "x"},
    {"every 15th x", "2026-03-15T16:00:00Z", "FREQ=MONTHLY;BYMONTHDAY=15", NULL,
	"x"},
    {"every 15th of the month x", "2026-03-15T16:00:00Z",
	"FREQ=MONTHLY;BYMONTHDAY=15", NULL, "x"},
    {"every month x", "2026-04-06T16:00:00Z", "FREQ=MONTHLY;BYMONTHDAY=6", NULL,
	"x"},
    {"monthly x", "2026-04-06T16:00:00Z", "FREQ=MONTHLY;BYMONTHDAY=6", NULL,
	"x"},
    {"every month on the first Monday x", "2026-04-06T16:00:00Z",
	"FREQ=MONTHLY;BYDAY=1MO", NULL, "x"},
    {"every 2 months on the 15th x", "2026-03-15T16:00:00Z",
	"FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", NULL, "x"},
    {"every year on Dec 1 x", "2026-12-01T17:00:00Z",
	"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=1", NULL, "x"},
    {"every weekday at 9 PT x", "2026-03-09T16:00:00Z",
	"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", NULL, "x"},
    {"every Monday at 9 UTC x", "2026-03-09T09:00:00Z", "FREQ=WEEKLY;BYDAY=MO",
	NULL, "x"},
    {"every Wednesday at 9:00 Europe/Berlin x", "2026-03-11T08:00:00Z",
	"FREQ=WEEKLY;BYDAY=WE", NULL, "x"},
    {"every weekend at 10 x", "2026-03-07T18:00:00Z", "FREQ=WEEKLY;BYDAY=SA,SU",
	NULL, "x"},
    {"every 31st x", "2026-03-31T16:00:00Z", "FREQ=MONTHLY;BYMONTHDAY=31", NULL,
	"x"},
    {"in 10 minutes to call Bob", "2026-03-06T18:10:00Z", NULL, NULL,
	"call Bob"},
    {"tomorrow 9am that the demo moved", "2026-03-07T17:00:00Z", NULL, NULL,
	"the demo moved"},
    {"at 3pm", "2026-03-06T23:00:00Z", NULL, NULL, ""},
    {"in 5 minutes 5 people meeting", "2026-03-06T18:05:00Z", NULL, NULL,
	"5 people meeting"},
    {"Monday standup notes", "2026-03-09T16:00:00Z", NULL, NULL,
	"standup notes"},
    {"on Friday, submit the report", "2026-03-13T16:00:00Z", NULL, NULL,
	"submit the report"},
    {"in 2 hours: deploy", "2026-03-06T20:00:00Z", NULL, NULL, "deploy"},
    {"at 4pm \"review the brief\"", "2026-03-07T00:00:00Z", NULL, NULL,
	"\"review the brief\""},
    {"tomorrow next steps review", "2026-03-07T17:00:00Z", NULL, NULL,
	"next steps review"},
    {"in 1 hour a meeting", "2026-03-06T19:00:00Z", NULL, NULL, "a meeting"},
    {"", NULL, NULL, "say when", NULL},
    {"buy milk", NULL, NULL, "cannot read a time in \"buy\"", NULL},
    {"remind me later", NULL, NULL, "cannot read a time", NULL},
    {"in 5 parsecs x", NULL, NULL, "\"parsecs\" is not a unit of time", NULL},
    {"in 0 minutes x", NULL, NULL, "is not ahead", NULL},
    {"in -5 minutes x", NULL, NULL, "is not a time ahead", NULL},
    {"in x", NULL, NULL, "\"in\" wants a duration", NULL},
    {"in 5", NULL, NULL, "\"in 5\" what?", NULL},
    {"at 25:00 x", NULL, NULL, "\"25:00\" is not a time of day", NULL},
    {"at 13pm x", NULL, NULL, "\"13pm\" is not a time of day", NULL},
    {"at 0am x", NULL, NULL, "\"0am\" is not a time of day", NULL},
    {"at 3:75 x", NULL, NULL, "\"3:75\" is not a time of day", NULL},
    {"at 3:7 x", NULL, NULL, "\"3:7\" is not a time of day", NULL},
    {"at the office x", NULL, NULL, "\"at the\" is not a time of day", NULL},
    {"at x", NULL, NULL, "is not a time of day", NULL},
    {"at 24 x", NULL, NULL, "\"24\" is not a time of day", NULL},
    {"on Feb 30 x", NULL, NULL, "February 30 is not a date", NULL},
    {"on April 31 x", NULL, NULL, "April 31 is not a date", NULL},
    {"on 2026-13-01 x", NULL, NULL, "\"2026-13-01\" is not a date", NULL},
    {"on 2026-02-29 x", NULL, NULL, "\"2026-02-29\" is not a date", NULL},
    {"on 12/01 x", NULL, NULL, "could be read two ways", NULL},
    {"on 1/12/2026 x", NULL, NULL, "could be read two ways", NULL},
    {"on blursday x", NULL, NULL, "\"on blursday\" is not a day", NULL},
    {"on x", NULL, NULL, "is not a day", NULL},
    {"on 2020-01-01 x", NULL, NULL, "has already passed", NULL},
    {"on 2035-01-01 x", NULL, NULL, "too far ahead", NULL},
    {"in 100000 weeks x", NULL, NULL, "too far ahead", NULL},
    {"yesterday x", NULL, NULL, "\"yesterday\" is in the past", NULL},
    {"last friday x", NULL, NULL, "\"last\" is in the past", NULL},
    {"today x", NULL, NULL, "\"today\" at what time", NULL},
    {"today at 9am x", NULL, NULL, "has already passed", NULL},
    {"every hour x", NULL, NULL, "at most once a day", NULL},
    {"every 30 minutes x", NULL, NULL, "at most once a day", NULL},
    {"every minute x", NULL, NULL, "at most once a day", NULL},
    {"every blue moon x", NULL, NULL, "\"every blue\" is not a repetition",
	NULL},
    {"every", NULL, NULL, "\"every\" what?", NULL},
    {"every 5th Monday x", NULL, NULL, "not every month has a fifth Monday",
	NULL},
    {"every year x", NULL, NULL, "\"every year\" wants a date", NULL},
    {"every 0 days x", NULL, NULL, "\"every 0 days\" is not a repetition",
	NULL},
    {"every month on x", NULL, NULL, "\"every month on\" wants a day", NULL},
    {"every 32nd x", NULL, NULL, "\"32nd\" is not a day of the month", NULL},
    {"tomorrow on Friday x", NULL, NULL, "gives the day twice", NULL},
    {"every Monday tomorrow x", NULL, NULL, "gives the day twice", NULL},
    {"in 10 minutes tomorrow x", NULL, NULL, "gives the day twice", NULL},
    {"at 3pm at 4pm x", NULL, NULL, "gives the time of day twice", NULL},
    {"at 3pm Mars/Olympus x", NULL, NULL, "unknown time zone \"Mars/Olympus\"",
	NULL},
    {"at 3pm PT UTC x", NULL, NULL, "names two time zones", NULL},
    {"PT x", NULL, NULL, "a time zone alone is not a time", NULL},
    {"in 10 minutes at 3pm x", NULL, NULL, "not both", NULL},
    {"on the 32nd x", NULL, NULL, "\"the 32nd\" is not a day of the month",
	NULL},
    {"every 2 hours x", NULL, NULL, "at most once a day", NULL},
    {"on Feb 29 2027 x", NULL, NULL, "February 29 is not a date", NULL},
    {"every weekday at 25:00 x", NULL, NULL, "\"25:00\" is not a time of day",
	NULL},
    {"every 4 Mondays x", NULL, NULL, "say \"every 4 weeks on mondays\"", NULL},
    {"every other weekday x", NULL, NULL, "without a count", NULL},
    {"every year on the 15th x", NULL, NULL, "wants a day and month", NULL},
    {"2 days ago x", NULL, NULL, "cannot read a time", NULL},
};

static void
iso(long long ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
test_now_is_friday_morning(void **state)
{
	struct recur_local l;

	assert_int_equal(recur_to_local(ZONE, NOW_MS, &l, NULL, 0), 0);
	assert_int_equal(l.wday, 5);
	assert_int_equal(l.hour, 10);
}

static void
test_phrase_table(void **state)
{
	size_t i, failed = 0;

	assert_true(sizeof(rows) / sizeof(rows[0]) >= 150);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct when w;
		char err[256], got[32];
		int rc;

		rc = when_parse(r->phrase, NOW_MS, ZONE, &w, err, sizeof(err));
		if (r->error != NULL) {
			if (rc == 0) {
				iso(w.at_ms, got);
				printf("[%s]: read as %s, want refusal "
				       "\"%s\"\n",
				    r->phrase, got, r->error);
				failed++;
			} else if (strstr(err, r->error) == NULL) {
				printf("[%s]: refused with \"%s\", want "
				       "\"%s\"\n",
				    r->phrase, err, r->error);
				failed++;
			}
			continue;
		}
		if (rc != 0) {
			printf("[%s]: refused: %s\n", r->phrase, err);
			failed++;
			continue;
		}
		iso(w.at_ms, got);
		if (strcmp(got, r->utc) != 0) {
			printf("[%s]: %s, want %s\n", r->phrase, got, r->utc);
			failed++;
		}
		if (r->rrule != NULL &&
		    (w.kind != WHEN_REPEAT || strcmp(w.rrule, r->rrule) != 0)) {
			printf("[%s]: rule \"%s\", want \"%s\"\n", r->phrase,
			    w.kind == WHEN_REPEAT ? w.rrule : "(once)",
			    r->rrule);
			failed++;
		}
		if (r->rrule == NULL && w.kind != WHEN_ONCE) {
			printf("[%s]: read as a repetition\n", r->phrase);
			failed++;
		}
		if (r->what != NULL && strcmp(r->phrase + w.what, r->what)) {
			printf("[%s]: text \"%s\", want \"%s\"\n", r->phrase,
			    r->phrase + w.what, r->what);
			failed++;
		}
	}
	if (failed)
		fail_msg("%zu of %zu phrases read wrongly", failed, i);
}

/* A repetition's first firing is what libical makes of its own rule:
 * the scheduler computes every later one from the rule, so the two must
 * agree. */
static void
test_repeat_first_matches_rule(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct when w;
		char err[256];
		long long next[2];

		if (rows[i].rrule == NULL)
			continue;
		assert_int_equal(when_parse(rows[i].phrase, NOW_MS, ZONE, &w,
				     err, sizeof(err)),
		    0);
		assert_int_equal(
		    recur_next(w.rrule, w.dtstart, w.tz, NOW_MS, next, 2), 2);
		if (next[0] != w.at_ms)
			fail_msg("[%s]: libical says %lld, the parser %lld",
			    rows[i].phrase, next[0], w.at_ms);
	}
}

static void
test_descriptions(void **state)
{
	static const char *const want[][2] = {
	    {"every weekday at 9 x", "every weekday at 09:00"},
	    {"every other Friday x", "every other Friday at 09:00"},
	    {"every Mon, Wed and Fri at 10 x",
		"every Monday, Wednesday and Friday at 10:00"},
	    {"every 1st Monday x", "every first Monday of the month at 09:00"},
	    {"every last Friday x", "every last Friday of the month at 09:00"},
	    {"every month on the 15th x", "every month on the 15th at 09:00"},
	    {"every year on Dec 1 x", "every year on December 1 at 09:00"},
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct when w;
		char err[256];

		assert_int_equal(
		    when_parse(want[i][0], NOW_MS, ZONE, &w, err, sizeof(err)),
		    0);
		assert_string_equal(w.desc, want[i][1]);
	}
}

/* The zone of the caller decides what "tomorrow 9am" is. */
static void
test_default_zone(void **state)
{
	struct when w;
	char err[256], got[32];

	assert_int_equal(when_parse("tomorrow 9am x", NOW_MS, "Europe/Berlin",
			     &w, err, sizeof(err)),
	    0);
	iso(w.at_ms, got);
	assert_string_equal(got, "2026-03-07T08:00:00Z");
	assert_string_equal(w.tz, "Europe/Berlin");
	/* An unknown default zone falls back to UTC rather than failing. */
	assert_int_equal(when_parse("tomorrow 9am x", NOW_MS, "Nowhere/City",
			     &w, err, sizeof(err)),
	    0);
	iso(w.at_ms, got);
	assert_string_equal(got, "2026-03-07T09:00:00Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_now_is_friday_morning),
	    cmocka_unit_test(test_phrase_table),
	    cmocka_unit_test(test_repeat_first_matches_rule),
	    cmocka_unit_test(test_descriptions),
	    cmocka_unit_test(test_default_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
