// Find anything from the topbar: results appear under the box while the office types (the
// server renders them: the same template as the search page), the arrow keys move through
// them, Enter opens the one chosen, Escape closes the list, and "/" anywhere focuses the box.
// Without JavaScript the box submits to the search page.

const form = document.querySelector("[data-search]");
const input = form?.querySelector("input[name=q]");
const popup = form?.querySelector("[data-search-popup]");
const WAIT_MS = 120;
let timer = null;
let controller = null;
let shownFor = null;

function options() {
  return [...popup.querySelectorAll("[role=option]")];
}

function active() {
  const id = input.getAttribute("aria-activedescendant");
  return id ? document.getElementById(id) : null;
}

function choose(option) {
  for (const each of options()) each.setAttribute("aria-selected", String(each === option));
  if (option) {
    input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  } else {
    input.removeAttribute("aria-activedescendant");
  }
}

function open() {
  popup.hidden = false;
  input.setAttribute("aria-expanded", "true");
}

function close() {
  popup.hidden = true;
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
}

function footer(text) {
  const link = document.createElement("a");
  link.className = "search-popup-footer";
  link.href = `${form.action}?${new URLSearchParams({ q: text })}`;
  link.tabIndex = -1;
  link.textContent = `See every result for “${text}” on the search page`;
  return link;
}

async function search() {
  const text = input.value.trim();
  if (!text) {
    shownFor = null;
    close();
    return;
  }
  const url = new URL(form.dataset.fragmentUrl, window.location.href);
  url.searchParams.set("q", text);
  controller?.abort();
  controller = new AbortController();
  try {
    const response = await fetch(url, {
      credentials: "same-origin",
      signal: controller.signal,
      headers: { Accept: "text/html" },
    });
    if (!response.ok) throw new Error(`search answered ${response.status}`);
    popup.innerHTML = await response.text();
  } catch (error) {
    if (error.name === "AbortError") return; // a newer search is on its way
    popup.innerHTML = "";
    const note = document.createElement("p");
    note.className = "search-none";
    note.setAttribute("role", "status");
    note.textContent = navigator.onLine === false
      ? "Search needs a connection. The plotters in your offline pack open from Scan."
      : "Search did not answer. Press Enter to try the search page.";
    popup.append(note);
  }
  if (input.value.trim() !== text) return; // typed on while this one was out
  shownFor = text;
  if (options().length) popup.append(footer(text));
  open();
  choose(options()[0] || null);
}

function move(step) {
  const all = options();
  if (!all.length) return;
  const index = all.indexOf(active());
  choose(all[(index + step + all.length) % all.length]);
}

function typingInto(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

if (form && input && popup) {
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, WAIT_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (popup.hidden && input.value.trim()) {
        search();
        return;
      }
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      const option = !popup.hidden && shownFor === input.value.trim() ? active() : null;
      if (option) {
        event.preventDefault();
        window.location.assign(option.dataset.href);
      } // else the form goes to the search page
    } else if (event.key === "Escape") {
      if (!popup.hidden) {
        event.preventDefault();
        close();
      } else if (input.value) {
        input.value = "";
      } else {
        input.blur();
      }
    }
  });
  input.addEventListener("focus", () => {
    if (input.value.trim() && shownFor === input.value.trim() && popup.childElementCount) open();
  });
  // A click on a result must not blur the box first (the list would close under the pointer).
  popup.addEventListener("pointerdown", (event) => event.preventDefault());
  popup.addEventListener("click", (event) => {
    const option = event.target.closest("[role=option]");
    if (option) window.location.assign(option.dataset.href);
  });
  popup.addEventListener("pointermove", (event) => {
    const option = event.target.closest("[role=option]");
    if (option && option !== active()) choose(option);
  });
  form.addEventListener("focusout", (event) => {
    if (!form.contains(event.relatedTarget)) close();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingInto(event.target)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
}
