// Calendar: mark the appointment whose panel is open, and bring the panel into view.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-appointment]");
    if (!link) { return; }
    document.querySelectorAll(".calendar .selected").forEach(function (el) {
      el.classList.remove("selected");
    });
    var cell = link.closest("td, li");
    if (cell) { cell.classList.add("selected"); }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "appointment-panel") {
      event.detail.target.scrollIntoView({ block: "nearest" });
      var first = event.detail.target.querySelector("h2");
      if (first) { first.setAttribute("tabindex", "-1"); first.focus(); }
    }
  });
})();

// Day calendar: click an empty slot to open the booking form for it in the side panel; drag a
// booked appointment onto an empty slot to move it (the panel's Move form is the keyboard way).
(function () {
  "use strict";
  function grid(el) { return el.closest("table.calendar.day[data-book-url]"); }
  function columnKey(table, index) {
    var heads = table.querySelectorAll("thead th[data-key]");
    return heads[Number(index)] ? heads[Number(index)].getAttribute("data-key") : "";
  }
  function slotValues(table, cell) {
    var values = {
      location: table.getAttribute("data-location"),
      date: table.getAttribute("data-date"),
      time: cell.getAttribute("data-slot")
    };
    values[table.getAttribute("data-by")] = columnKey(table, cell.getAttribute("data-col"));
    return values;
  }
  document.addEventListener("click", function (event) {
    var cell = event.target.closest("td.free[data-slot]");
    var table = cell && grid(cell);
    if (!table || !window.htmx) { return; }
    var values = slotValues(table, cell);
    var url = table.getAttribute("data-book-url") + "?" + new URLSearchParams(values).toString();
    document.querySelectorAll(".calendar .selected").forEach(function (el) {
      el.classList.remove("selected");
    });
    cell.classList.add("selected");
    window.htmx.ajax("GET", url, { target: "#appointment-panel", swap: "innerHTML" });
  });
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var cell = event.target.closest && event.target.closest("td.appt[data-move-url]");
    if (!cell) { return; }
    dragged = cell;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", cell.getAttribute("data-move-url"));
  });
  document.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest && event.target.closest("td.free[data-slot]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("drop", function (event) {
    var cell = event.target.closest && event.target.closest("td.free[data-slot]");
    var table = cell && grid(cell);
    if (!dragged || !table || !window.htmx) { return; }
    event.preventDefault();
    var values = slotValues(table, cell);
    var by = table.getAttribute("data-by");
    var other = by === "room" ? "practitioner" : "room";
    values[other] = dragged.getAttribute("data-" + other);
    delete values.location;
    var url = dragged.getAttribute("data-move-url");
    dragged = null;
    window.htmx.ajax("POST", url, { target: "#appointment-panel", swap: "innerHTML", values: values });
  });
  document.addEventListener("dragend", function () { dragged = null; });
})();

// Booking panel: a visit for a patient on file shows the patient search; a consultation for a
// new patient shows the new patient's details instead.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var radio = event.target;
    if (!radio.matches || !radio.matches('input[type="radio"][name="visit"]')) { return; }
    var form = radio.closest("form");
    if (!form) { return; }
    form.querySelectorAll("fieldset[data-visit]").forEach(function (fieldset) {
      fieldset.hidden = fieldset.getAttribute("data-visit") !== radio.value;
    });
  });
})();
