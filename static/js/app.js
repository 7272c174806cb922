// Small enhancements every page may use. Pages work without them.

// <select data-autosubmit> submits its form on change (e.g. picking a customer).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// [data-print] buttons print the page (service reports, label sheets).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
