// The rules a visit must satisfy, applied on the phone before it says "saved". The rules and
// their messages come from the server (fieldapp/visits/rules.py: on the visit page and in the
// offline pack); this file only applies them, exactly as check_visit() does there, so the
// phone and the server never disagree about a visit. Fields use the wire format's names.

/** "Keep it to {max:,} characters" with values filled in ({name:,} with thousands separators). */
export function format(template, values = {}) {
  return template.replace(/\{(\w+)(:,)?\}/g, (_, name, comma) => {
    const value = values[name];
    return comma ? Number(value).toLocaleString("en-US") : String(value);
  });
}

// Nothing but spaces, tabs and line breaks: the same characters as blank() on the server.
export const blank = (text) => !/[^ \t\n\r]/.test(text ?? "");

// Python's len(): code points, not UTF-16 units (an emoji counts once on both sides).
const length = (text) => [...(text ?? "")].length;

/** The reading the procedure's meter step gives, or null. */
export function meterFromSteps(payload, steps) {
  const meterIds = new Set(steps.filter((step) => step.meter).map((step) => step.id));
  for (const result of payload.steps) {
    if (meterIds.has(result.step) && result.status === "done" && result.value !== null && result.value !== undefined) {
      return Number.isInteger(result.value) ? result.value : null;
    }
  }
  return null;
}

/** A measured value outside the step's expected range (StepRule.out_of_range on the server). */
export function outOfRange(step, value) {
  if (value === null || value === undefined || !step || step.kind !== "measure") return false;
  return (step.min !== null && step.min !== undefined && value < step.min) ||
    (step.max !== null && step.max !== undefined && value > step.max);
}

/** The status the server keeps: a measure done outside its range failed (recorded_status()). */
export function recordedStatus(step, status, value) {
  return status === "done" && outOfRange(step, value) ? "fail" : status;
}

/** A measured value as the server writes it (measured_label()): "3.2 N", "1,250 sq ft". */
export function measuredLabel(value, unit = "") {
  const number = Number(value).toLocaleString("en-US", { maximumFractionDigits: 10 });
  return unit ? `${number} ${unit}` : number;
}

/** "3.2 N is outside the expected 4 to 6 N: this step failed." (range_note() on the server). */
export function rangeNote(messages, value, unit, expected) {
  return format(messages.out_of_range, { value: measuredLabel(value, unit), expected });
}

/**
 * Every fault of a visit payload (the wire format), by field, with the server's messages.
 * context: { rules, steps: [{id, position, title, kind, required, meter, min, max}], jobKind,
 *            lastMeter, now: Date }
 */
export function checkVisit(payload, context) {
  const { rules } = context;
  const { limits, messages } = rules;
  const errors = {};
  const fail = (name, text) => (errors[name] ??= []).push(text);
  const say = (key, values) => format(messages[key], values);
  const noLonger = (name, value, limit) => textFits(name, value ?? "", limit, fail, say);

  if (!rules.outcomes.includes(payload.outcome)) fail("outcome", say("outcome"));
  const started = Date.parse(payload.started_at);
  const finished = Date.parse(payload.finished_at);
  if (finished < started) fail("finished_at", say("finish_before_start"));
  else if (context.now && finished > context.now.getTime() + limits.clock_skew_minutes * 60_000) {
    fail("finished_at", say("finish_in_future"));
  }
  noLonger("summary", payload.summary, limits.summary);
  noLonger("meter_note", payload.meter_note, limits.meter_note);
  noLonger("signoff.name", payload.signoff?.name ?? "", limits.signoff_name);
  if (payload.error_codes.length > limits.error_codes) fail("error_codes", say("too_many", { max: limits.error_codes }));
  payload.error_codes.forEach((code, index) => noLonger(`error_codes.${index}`, code, limits.error_code));
  if (payload.photos.length > limits.photos) fail("photos", say("too_many", { max: limits.photos }));
  if (payload.parts.length > limits.parts) fail("parts", say("too_many", { max: limits.parts }));
  const [least, most] = limits.quantity;
  payload.parts.forEach((line, index) => {
    if (!(Number.isInteger(line.quantity) && line.quantity >= least && line.quantity <= most)) {
      fail(`parts.${index}.quantity`, say("whole_range", { min: least, max: most }));
    }
    noLonger(`parts.${index}.serial`, line.serial ?? "", limits.part_serial);
  });
  checkSteps(payload, context, fail, say);
  checkMeter(payload, context, fail, say);
  return errors;
}

// A typed text: within its length, and without the NUL character no database stores.
function textFits(name, value, limit, fail, say) {
  if (length(value) > limit) fail(name, say("too_long", { max: limit }));
  if (value.includes("\u0000")) fail(name, say("nul"));
}

function checkSteps(payload, context, fail, say) {
  const { rules } = context;
  const { limits } = rules;
  const byId = new Map(context.steps.map((step) => [step.id, step]));
  if (!context.steps.length && context.jobKind && rules.procedure_kinds.includes(context.jobKind)) {
    fail("steps", say("procedure_required", { kind: context.jobKind.replaceAll("_", " ") }));
  }
  if (payload.steps.length > limits.steps) fail("steps", say("too_many", { max: limits.steps }));
  const ids = payload.steps.map((result) => result.step);
  if (new Set(ids).size !== ids.length) fail("steps", say("step_twice"));
  const [lowest, highest] = limits.measure;
  payload.steps.forEach((result, index) => {
    const step = byId.get(result.step);
    const where = `steps.${index}`;
    textFits(`${where}.note`, result.note ?? "", limits.note, fail, say);
    const value = result.value ?? null;
    if (value !== null && !(value >= lowest && value <= highest)) {
      fail(`${where}.value`, say("number_range", { min: lowest, max: highest }));
    }
    if (result.follow_up && recordedStatus(step, result.status, value) !== "fail") fail(`${where}.follow_up`, say("follow_up_needs_fail"));
    if (!step) return;
    const choices = rules.statuses[step.kind];
    if (!choices.includes(result.status)) {
      fail(`${where}.status`, say("status_choice", { title: step.title, choices: choices.join(", ") }));
    } else if (result.status === "skipped" && step.required) {
      fail(`${where}.status`, say("required_skipped", { title: step.title }));
    }
    if (step.kind === "measure" && (result.status === "done" || result.status === "fail")) {
      if (value === null) fail(`${where}.value`, say("measure_value", { title: step.title }));
      else if (step.meter && !(Number.isInteger(value) && value >= 0 && value <= limits.meter[1])) {
        fail(`${where}.value`, say("meter_whole"));
      }
    }
    if (step.kind === "photo" && result.status === "done" && !result.photo) {
      fail(`${where}.photo`, say("photo_needed", { title: step.title }));
    }
  });
  const done = new Set(payload.steps.filter((r) => r.status !== "skipped").map((r) => r.step));
  const missing = context.steps.filter((step) => step.required && !done.has(step.id)).map((step) => `${step.position}. ${step.title}`);
  if (missing.length) fail("steps", say("required_missing", { steps: missing.join("; ") }));
}

function checkMeter(payload, context, fail, say) {
  const fromStep = meterFromSteps(payload, context.steps);
  let reading = payload.meter_reading ?? null;
  if (reading !== null && fromStep !== null && reading !== fromStep) {
    fail("meter_reading", say("meter_twice", { step: fromStep, reading }));
    return;
  }
  reading = reading ?? fromStep;
  if (reading === null) return;
  const [least, most] = context.rules.limits.meter;
  if (!(reading >= least && reading <= most)) {
    fail("meter_reading", say("whole_range", { min: least, max: most }));
  } else if (context.lastMeter !== null && context.lastMeter !== undefined && reading < context.lastMeter && blank(payload.meter_note)) {
    fail("meter_note", say("meter_lower", { last: context.lastMeter }));
  }
}
