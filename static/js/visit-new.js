// The start page follows the job the tech picks: that job's procedure is suggested and
// checked, and a job whose kind needs a procedure takes the quick visit off the list (the
// server refuses one anyway). Without JavaScript the page works as the server drew it.

const jobs = document.querySelector("[data-job-choice]");
const quick = document.querySelector("[data-quick-choice]");

function follow(choice) {
  const suggests = choice.dataset.suggests;
  for (const input of document.querySelectorAll('input[name="sop_version"]')) {
    const badge = input.closest("label").querySelector("[data-suggested-badge]");
    if (badge) badge.hidden = input.value !== suggests || !suggests;
    if (suggests && input.value === suggests) input.checked = true;
  }
  const needsProcedure = choice.hasAttribute("data-needs-procedure");
  if (quick) {
    quick.hidden = needsProcedure;
    quick.querySelector("input").disabled = needsProcedure;
  }
}

jobs?.addEventListener("change", (event) => {
  if (event.target.matches('input[name="job"]')) follow(event.target);
});
