/**
 * HTTP-date (RFC 9110 section 5.6.7), parsed strictly: the preferred IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms a recipient must still accept,
 * RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). Anything
 * else is not a date (unlike Date.parse, which reads `2099` or `tomorrow 3pm` as one), and a
 * request header holding it must be ignored (RFC 9110 section 13.1.3). No I/O.
 */

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const LONG_DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const DAY = DAYS.join('|');
const MONTH = MONTHS.join('|');
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** Names and `GMT` are case-sensitive, and every space is exactly one (asctime pads a one-digit day with a second). */
const IMF_FIXDATE = new RegExp(`^(?:${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^(?:${LONG_DAYS.join('|')}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^(?:${DAY}) (${MONTH}) (\\d{2}| \\d) ${TIME} (\\d{4})$`);

/**
 * The instant an HTTP-date names, or null when `value` is not one (a wrong form, a name in the
 * wrong case, a day the month does not have, an hour past 23). RFC 850's two-digit year is the
 * latest year with those digits that is not more than 50 years after `now`. The day name is not
 * checked against the date.
 */
export function parseHttpDate(value: string, now: Date = new Date()): Date | null {
  let match = IMF_FIXDATE.exec(value);
  if (match) return instant(Number(match[3]), match[2]!, match[1]!, match[4]!, match[5]!, match[6]!);
  match = RFC_850.exec(value);
  if (match) {
    const thisYear = now.getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(match[3]);
    if (year > thisYear + 50) year -= 100;
    return instant(year, match[2]!, match[1]!, match[4]!, match[5]!, match[6]!);
  }
  match = ASCTIME.exec(value);
  if (match) return instant(Number(match[6]), match[1]!, match[2]!.trim(), match[3]!, match[4]!, match[5]!);
  return null;
}

function instant(year: number, monthName: string, dayText: string, hourText: string, minuteText: string, secondText: string): Date | null {
  const month = MONTHS.indexOf(monthName);
  const day = Number(dayText);
  const [hour, minute, second] = [Number(hourText), Number(minuteText), Number(secondText)];
  // A leap second (60) is allowed by the grammar; it names the next minute's first second.
  if (day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  if (date.getUTCMonth() !== month) return null; // 31 Apr, 29 Feb of a common year...
  date.setUTCHours(hour, minute, second, 0);
  return date;
}
