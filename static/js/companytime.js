// Times on the visit form are the company's wall clock (its time zone, not the phone's).

function partsIn(timeZone, date) {
  return Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      second: "2-digit", hourCycle: "h23",
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
}

// A Date as the value of an <input type="datetime-local"> in the company's zone.
export function localInput(timeZone, date = new Date()) {
  const p = partsIn(timeZone, date);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// The value of a datetime-local input (company wall clock) as an ISO instant in UTC.
export function toInstant(timeZone, value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // The zone's offset at that moment, found by formatting a guess; twice for DST edges.
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = partsIn(timeZone, new Date(guess));
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    guess = wall - (shown - guess);
  }
  return new Date(guess).toISOString();
}

export function clock(timeZone, iso) {
  const p = partsIn(timeZone, new Date(iso));
  return `${p.hour}:${p.minute}`;
}
