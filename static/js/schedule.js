// The schedule: drag a job onto a tech's lane (and, in the day view, a time) to plan it.
// The drop sends the same form the job's "plan" page sends, so the keyboard path and the
// mouse path are one; without JavaScript every chip is a link to that page.

const board = document.querySelector("[data-schedule]");
const status = document.getElementById("schedule-status");
const problem = document.getElementById("schedule-error");

function minutesToClock(total) {
  const hours = String(Math.floor(total / 60)).padStart(2, "0");
  const minutes = String(total % 60).padStart(2, "0");
  return `${hours}:${minutes}`;
}

function clockToMinutes(clock) {
  const [hours, minutes] = clock.split(":").map(Number);
  return hours * 60 + minutes;
}

// Where on a day lane the job was dropped, as a time snapped to 15 minutes.
function timeAt(track, clientX) {
  const box = track.getBoundingClientRect();
  const share = Math.min(Math.max((clientX - box.left) / box.width, 0), 1);
  const offset = Math.round((share * Number(board.dataset.dayMinutes)) / 15) * 15;
  return minutesToClock(clockToMinutes(board.dataset.dayStart) + offset);
}

async function plan(chip, target, clientX) {
  const time =
    board.dataset.view === "day"
      ? timeAt(target, clientX)
      : chip.dataset.time || board.dataset.dayStart;
  const body = new FormData();
  body.set("csrf_token", board.dataset.csrf);
  body.set("tech", target.dataset.tech);
  body.set("scheduled_for", `${target.dataset.date}T${time}`);
  body.set("duration", chip.dataset.custom || ""); // empty: the job type's usual length
  body.set("arrival_window", chip.dataset.window || "0");
  const url = new URL(chip.href);
  problem.hidden = true;
  status.textContent = `Planning ${chip.querySelector("strong").textContent}…`;
  try {
    const response = await fetch(url.pathname, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": board.dataset.csrf },
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error?.message || `HTTP ${response.status}`);
    status.textContent = `${answer.job} planned for ${target.getAttribute("aria-label")} at ${time}.`;
    window.location.reload();
  } catch (error) {
    status.textContent = "";
    problem.textContent = `Not planned: ${error.message} Open the job to plan it with the form.`;
    problem.hidden = false;
  }
}

if (board) {
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    const chip = event.target.closest?.(".plan-chip[data-job]");
    if (!chip) return;
    dragged = chip;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.dataset.job);
  });
  document.addEventListener("dragend", () => {
    dragged = null;
    for (const zone of board.querySelectorAll(".drop-over")) zone.classList.remove("drop-over");
  });
  for (const zone of board.querySelectorAll("[data-drop]")) {
    zone.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      zone.classList.add("drop-over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("drop-over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("drop-over");
      if (dragged) plan(dragged, zone, event.clientX);
    });
  }
}
